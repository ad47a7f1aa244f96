-- The statements that give the owner role %(owner)s what the superuser %(admin)s owns in schema public
-- (a database created when kindmap's owner was the superuser): tables, views, sequences, routines,
-- types and the schema itself; not an extension's objects (PostGIS stays the superuser's), nor a
-- table's own sequences and row types (they follow their table).
WITH admin_owned(kind, name, owner, catalog, oid) AS (
    SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                          WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
           c.oid::regclass::text, c.relowner, 'pg_class'::regclass, c.oid
    FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                           AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
    UNION ALL
    SELECT 'ROUTINE', p.oid::regprocedure::text, p.proowner, 'pg_proc'::regclass, p.oid
    FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'TYPE', t.oid::regtype::text, t.typowner, 'pg_type'::regclass, t.oid
    FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'r', 'm')
    UNION ALL
    SELECT 'SCHEMA', 'public', n.nspowner, 'pg_namespace'::regclass, n.oid
    FROM pg_namespace n WHERE n.nspname = 'public'
)
SELECT 'ALTER ' || kind || ' ' || name || ' OWNER TO ' || quote_ident(%(owner)s)
FROM admin_owned o
WHERE o.owner = %(admin)s::regrole
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = o.catalog AND d.objid = o.oid AND d.deptype = 'e')
