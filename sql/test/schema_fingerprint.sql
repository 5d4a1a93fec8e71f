-- One line per object of extension poolkeeper with its full definition, in
-- a stable order: two databases with equal fingerprints have the same
-- extension schema (a NULL ACL is written as the default it stands for).
-- Used by upgrade.sh to compare an upgraded install with a
-- fresh one.
WITH members AS (
    SELECT d.classid, d.objid
      FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE e.extname = 'poolkeeper' AND d.deptype = 'e'
)
SELECT line FROM (
    SELECT format('function %s owner=%s acl=%s', pg_get_functiondef(p.oid), p.proowner::regrole,
                  coalesce(p.proacl, acldefault('f', p.proowner))) AS line
      FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
    UNION ALL
    SELECT format('column %s.%s #%s %s notnull=%s default=%s generated=%s identity=%s acl=%s', c.relname, a.attname, a.attnum,
                  format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(ad.adbin, ad.adrelid), a.attgenerated, a.attidentity, a.attacl)
      FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
    UNION ALL
    SELECT format('relation %s kind=%s options=%s owner=%s acl=%s rowsecurity=%s forcerowsecurity=%s', c.relname, c.relkind,
                  c.reloptions, c.relowner::regrole,
                  coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's'::"char" ELSE 'r'::"char" END, c.relowner)),
                  c.relrowsecurity, c.relforcerowsecurity)
      FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
    UNION ALL
    SELECT format('policy %s on %s: cmd=%s permissive=%s roles=%s using=%s check=%s', pol.polname, pol.polrelid::regclass,
                  pol.polcmd, pol.polpermissive,
                  (SELECT array_agg(r::regrole::text ORDER BY r::regrole::text) FROM unnest(pol.polroles) AS r),
                  pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid))
      FROM pg_policy pol JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = pol.polrelid
    UNION ALL
    SELECT format('schema %s owner=%s acl=%s', n.nspname, n.nspowner::regrole, coalesce(n.nspacl, acldefault('n', n.nspowner)))
      FROM pg_namespace n WHERE n.nspname = 'poolkeeper'
    UNION ALL
    SELECT format('initial privileges of %s: %s %s', pg_describe_object(ip.classoid, ip.objoid, ip.objsubid), ip.privtype, ip.initprivs)
      FROM pg_init_privs ip JOIN members m ON m.classid = ip.classoid AND m.objid = ip.objoid
      LEFT JOIN pg_class c ON ip.classoid = 'pg_class'::regclass AND c.oid = ip.objoid
     -- An initial ACL that is a relation's default is the same as none.
     WHERE c.oid IS NULL OR ip.objsubid <> 0
        OR ip.initprivs <> acldefault(CASE c.relkind WHEN 'S' THEN 's'::"char" ELSE 'r'::"char" END, c.relowner)
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(i.indexrelid))
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
      JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
    UNION ALL
    SELECT format('constraint %s on %s: %s', co.conname, co.conrelid::regclass, pg_get_constraintdef(co.oid))
      FROM pg_constraint co
      JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = co.conrelid
    UNION ALL
    SELECT format('domain %s %s: %s', t.typname, format_type(t.typbasetype, t.typtypmod), pg_get_constraintdef(co.oid))
      FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
      LEFT JOIN pg_constraint co ON co.contypid = t.oid
    UNION ALL
    SELECT format('trigger %s enabled=%s', pg_get_triggerdef(tg.oid), tg.tgenabled)
      FROM pg_trigger tg
      JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = tg.tgrelid
     WHERE NOT tg.tgisinternal
    UNION ALL
    SELECT format('view %s: %s', c.relname, pg_get_viewdef(c.oid))
      FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
     WHERE c.relkind = 'v'
    UNION ALL
    SELECT format('sequence %s type=%s start=%s increment=%s min=%s max=%s cache=%s cycle=%s', sq.seqrelid::regclass,
                  sq.seqtypid::regtype, sq.seqstart, sq.seqincrement, sq.seqmin, sq.seqmax, sq.seqcache, sq.seqcycle)
      FROM pg_sequence sq JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = sq.seqrelid
    UNION ALL
    SELECT format('comment on %s: %s', pg_describe_object(ds.classoid, ds.objoid, ds.objsubid), ds.description)
      FROM pg_description ds
      JOIN members m ON m.classid = ds.classoid AND m.objid = ds.objoid
    UNION ALL
    SELECT format('type %s owner=%s acl=%s', t.typname, t.typowner::regrole, t.typacl)
      FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
    UNION ALL
    SELECT format('config %s %s', cfg::regclass, cond)
      FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(cfg, cond)
     WHERE e.extname = 'poolkeeper'
    UNION ALL
    SELECT format('error code %s %s %s', sqlstate, name, meaning) FROM poolkeeper.error_codes
    UNION ALL
    SELECT format('currency %s %s', code, minor_units) FROM poolkeeper.currencies
) lines
ORDER BY line;
