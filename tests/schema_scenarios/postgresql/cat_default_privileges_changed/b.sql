CREATE SCHEMA app;
CREATE SCHEMA extra;
-- Changed: more privileges, with grant option.
ALTER DEFAULT PRIVILEGES FOR ROLE dbci_rt_owner
  GRANT SELECT, INSERT ON TABLES TO dbci_rt_reader WITH GRANT OPTION;
-- Functions' default (PUBLIC's EXECUTE) restored; types' and the owner's own on schemas
-- revoked instead.
ALTER DEFAULT PRIVILEGES FOR ROLE dbci_rt_owner REVOKE USAGE ON TYPES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE dbci_rt_owner REVOKE CREATE ON SCHEMAS FROM dbci_rt_owner;
ALTER DEFAULT PRIVILEGES FOR ROLE dbci_rt_owner IN SCHEMA app
  GRANT EXECUTE ON FUNCTIONS TO dbci_rt_reader;
-- In a schema that B adds (the one A has goes, with its default privileges first).
ALTER DEFAULT PRIVILEGES FOR ROLE dbci_rt_owner IN SCHEMA extra
  GRANT SELECT ON TABLES TO PUBLIC;
