-- API keys (src/auth/apiKeys.ts). Only a SHA-256 of each key is kept: keys are 256 random bits, so a
-- slow password hash would add nothing. `prefix` (the key's first characters) is what lists show and
-- what a presented key is looked up by before its hash is compared in constant time.
CREATE TABLE api_keys (
  id           bigserial PRIMARY KEY,
  name         text NOT NULL,
  prefix       text NOT NULL,
  key_hash     bytea NOT NULL,
  scopes       text[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['ingest', 'read', 'admin']),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_prefix_idx ON api_keys (prefix) WHERE revoked_at IS NULL;
