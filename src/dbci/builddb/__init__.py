"""The build database: a throwaway database the migrations (or the schema model) are
applied to, for `dbci build`, the `rebuild` drift of check and deploy, and the `migrations`
and `schemaModel` sources of `dbci diff`.

Which one (`environment`: a build environment's, a server given by `DBCI_BUILD_URL`, else an
embedded one, in which dialect), how it is made and removed (`provisioners`: clean,
create-database, embedded; `docker_provisioner`), and what is done on it (`operations`:
migrate up to a version, snapshot, empty). It sits below the stages and the schema sources
that use it, and imports none of them."""
