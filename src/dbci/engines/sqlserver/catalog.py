"""The `sys.*` catalog queries of SQL Server snapshots (mssql.py turns their rows into the
model). Every query takes the schema as `:schema` (the engine sends it as a `?`
parameter) and returns one row per item, in a stable order. `sql_variant` values
(identity seeds, extended properties) are cast: ODBC drivers cannot fetch that type.
The `precision` and `definition` columns are bracketed: PRECISION is a reserved word of
T-SQL, and SQLFluff 4's T-SQL grammar (which the tests check these queries with) reads
both as keywords after a dot.
"""

from __future__ import annotations

COLUMNS_SQL = """
SELECT t.name, c.name, ty.name, ty.is_user_defined, SCHEMA_NAME(ty.schema_id),
    c.max_length, c.[precision], c.scale, c.is_nullable, c.collation_name,
    d.[definition], CAST(ic.seed_value AS nvarchar(40)), CAST(ic.increment_value AS nvarchar(40)),
    cc.[definition], cc.is_persisted, CAST(ep.value AS nvarchar(max))
FROM sys.columns AS c
JOIN sys.tables AS t ON t.object_id = c.object_id
JOIN sys.schemas AS s ON s.schema_id = t.schema_id
JOIN sys.types AS ty ON ty.user_type_id = c.user_type_id
LEFT JOIN sys.default_constraints AS d ON d.object_id = c.default_object_id
LEFT JOIN sys.identity_columns AS ic ON ic.object_id = c.object_id AND ic.column_id = c.column_id
LEFT JOIN sys.computed_columns AS cc ON cc.object_id = c.object_id AND cc.column_id = c.column_id
LEFT JOIN sys.extended_properties AS ep
    ON ep.[class] = 1 AND ep.major_id = c.object_id AND ep.minor_id = c.column_id
    AND ep.name = N'MS_Description'
WHERE s.name = :schema AND t.is_ms_shipped = 0
ORDER BY t.name, c.column_id
"""

KEYS_SQL = """
SELECT t.name, k.name, k.type, i.type_desc, c.name, ic.is_descending_key
FROM sys.key_constraints AS k
JOIN sys.tables AS t ON t.object_id = k.parent_object_id
JOIN sys.schemas AS s ON s.schema_id = t.schema_id
JOIN sys.indexes AS i ON i.object_id = k.parent_object_id AND i.index_id = k.unique_index_id
JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
WHERE s.name = :schema AND ic.key_ordinal > 0
ORDER BY t.name, k.name, ic.key_ordinal
"""

CHECKS_SQL = """
SELECT t.name, k.name, k.[definition]
FROM sys.check_constraints AS k
JOIN sys.tables AS t ON t.object_id = k.parent_object_id
JOIN sys.schemas AS s ON s.schema_id = t.schema_id
WHERE s.name = :schema
ORDER BY t.name, k.name
"""

# A clustered columnstore index lists every column of its table and names none when it is
# created, so its columns are not read; LEFT JOIN keeps the index itself.
INDEXES_SQL = """
SELECT t.name, i.name, i.type_desc, i.is_unique, i.filter_definition,
    c.name, ic.is_descending_key, ic.is_included_column
FROM sys.indexes AS i
JOIN sys.tables AS t ON t.object_id = i.object_id
JOIN sys.schemas AS s ON s.schema_id = t.schema_id
LEFT JOIN sys.index_columns AS ic
    ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND i.type <> 5
LEFT JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
WHERE s.name = :schema AND i.type IN (1, 2, 5, 6) AND i.is_primary_key = 0
    AND i.is_unique_constraint = 0 AND i.is_hypothetical = 0
ORDER BY t.name, i.name, ic.is_included_column, ic.key_ordinal, ic.index_column_id
"""

# Views (V), procedures (P), scalar (FN), inline (IF) and multi-statement (TF) table-valued
# functions and DML triggers (TR, with the table or view they are on). Encrypted modules
# have no definition to read and are left out.
MODULES_SQL = """
SELECT o.type, o.name, m.[definition], p.name, tr.is_disabled
FROM sys.objects AS o
JOIN sys.schemas AS s ON s.schema_id = o.schema_id
JOIN sys.sql_modules AS m ON m.object_id = o.object_id
LEFT JOIN sys.triggers AS tr ON tr.object_id = o.object_id
LEFT JOIN sys.objects AS p ON p.object_id = tr.parent_id
WHERE s.name = :schema AND o.is_ms_shipped = 0 AND m.[definition] IS NOT NULL
    AND o.type IN ('V', 'P', 'FN', 'IF', 'TF', 'TR')
ORDER BY o.type, o.name
"""

# Parameter 0 of a scalar function is its result.
PARAMETERS_SQL = """
SELECT o.name, p.parameter_id, p.name, ty.name, ty.is_user_defined, SCHEMA_NAME(ty.schema_id),
    p.max_length, p.[precision], p.scale, p.is_output, p.is_readonly
FROM sys.parameters AS p
JOIN sys.objects AS o ON o.object_id = p.object_id
JOIN sys.schemas AS s ON s.schema_id = o.schema_id
JOIN sys.types AS ty ON ty.user_type_id = p.user_type_id
WHERE s.name = :schema AND o.type IN ('P', 'FN', 'IF', 'TF')
ORDER BY o.name, p.parameter_id
"""

# What modules read, and what tables' computed columns, checks (C) and defaults (D) call;
# a check or default counts for its table.
DEPENDENCIES_SQL = """
SELECT CASE WHEN o.type IN ('C', 'D') THEN p.name ELSE o.name END,
    CASE WHEN o.type IN ('C', 'D') THEN 'U' ELSE o.type END,
    rs.name, r.name
FROM sys.sql_expression_dependencies AS d
JOIN sys.objects AS o ON o.object_id = d.referencing_id
JOIN sys.schemas AS s ON s.schema_id = o.schema_id
LEFT JOIN sys.objects AS p ON p.object_id = o.parent_object_id
JOIN sys.objects AS r ON r.object_id = d.referenced_id
JOIN sys.schemas AS rs ON rs.schema_id = r.schema_id
WHERE s.name = :schema AND d.referencing_class = 1
    AND o.type IN ('V', 'P', 'FN', 'IF', 'TF', 'U', 'C', 'D')
ORDER BY 1, 3, 4
"""
