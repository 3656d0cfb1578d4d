-- 0014: what a release deployed to: 'docker' (containers on one Engine, every release before
-- 0014) or 'swarm' (Swarm services on a manager), so `deployctl rollback` from SQLite alone
-- knows which backend to drive without the manifests that said it.
ALTER TABLE releases ADD COLUMN target TEXT NOT NULL DEFAULT 'docker';
