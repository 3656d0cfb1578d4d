-- 0015: a network's or volume's settings (JSON: driver, ipam subnets and
-- gateways, internal, enable_ipv6, labels) beside its Docker name, so a
-- rollback that creates the network again (after `down`) gives it the
-- subnet its services' fixed addresses need. NULL for releases before 0015:
-- those networks are created with Docker's defaults, as before.
ALTER TABLE release_resources ADD COLUMN spec TEXT;
