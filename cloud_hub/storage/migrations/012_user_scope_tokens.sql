-- Users carry the warehouses they may see and act on ('*': every warehouse; admins see every
-- warehouse whatever this holds). Users made before this see none until an admin grants some.
ALTER TABLE users ADD COLUMN warehouses text[] NOT NULL DEFAULT '{}';

-- A user's token is good only while the user is as it was when the token was issued: any
-- change of password, roles, warehouses or active (by the API, the CLI or plain SQL) moves
-- token_version on, and tokens of an older version are refused on their next request.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN token_version integer;  -- users' tokens only; NULL: a device

CREATE FUNCTION users_next_token_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash
       OR NEW.roles IS DISTINCT FROM OLD.roles
       OR NEW.warehouses IS DISTINCT FROM OLD.warehouses
       OR NEW.active IS DISTINCT FROM OLD.active THEN
        NEW.token_version := greatest(NEW.token_version, OLD.token_version + 1);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER users_token_version BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_next_token_version();
