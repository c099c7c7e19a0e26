package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ErrTargetNotEmpty means the PostgreSQL database given to copy into holds
// Vigil data already; copying over it needs asking for (Overwrite).
var ErrTargetNotEmpty = errors.New("the PostgreSQL database already holds vigil data")

// CopyOptions changes how CopyToPostgres treats its target.
type CopyOptions struct {
	// Overwrite empties the target's tables first, in the same
	// transaction, instead of refusing a target that has rows.
	Overwrite bool
}

// TableCopy is one table copied and how many rows it has on both sides.
type TableCopy struct {
	Table string
	Rows  int64
}

// CopyToPostgres copies every table of the SQLite database src into the
// PostgreSQL database dst, losing nothing: every column of every row as it
// is, ids included, and each id sequence moved past the copied ids, so
// delivery ids and nonces stay valid and new rows number on from where
// SQLite was. It is one transaction on dst: a copy that fails leaves dst as
// it was. Before committing it counts every table on both sides and
// refuses any difference. src is read inside a transaction that holds
// SQLite's write lock, so nothing changes it mid-copy.
func CopyToPostgres(ctx context.Context, src, dst *DB, opts CopyOptions) ([]TableCopy, error) {
	if src.Engine() != EngineSQLite || dst.Engine() != EnginePostgres {
		return nil, fmt.Errorf("copy: from SQLite to PostgreSQL only, not from %s to %s", src.Engine(), dst.Engine())
	}
	srcVersion, err := src.SchemaVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: read the SQLite schema version: %w", err)
	}
	dstVersion, err := dst.SchemaVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: read the PostgreSQL schema version: %w", err)
	}
	if srcVersion != dstVersion {
		return nil, fmt.Errorf("copy: the SQLite file is at schema version %d and PostgreSQL at %d; open both with this vigil first", srcVersion, dstVersion)
	}

	srcTx, err := src.db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("copy: lock the SQLite file: %w", err)
	}
	defer srcTx.Rollback()
	tables, err := sqliteTables(ctx, srcTx)
	if err != nil {
		return nil, fmt.Errorf("copy: list the SQLite tables: %w", err)
	}

	conn, err := dst.db.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: connect to PostgreSQL: %w", err)
	}
	defer conn.Close()
	var out []TableCopy
	// COPY is pgx's own, beneath database/sql: rows stream to the server
	// instead of costing a round trip each.
	err = conn.Raw(func(driverConn any) error {
		pg := driverConn.(*stdlib.Conn).Conn()
		tx, err := pg.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if err := prepareTarget(ctx, tx, tables, opts); err != nil {
			return err
		}
		for _, t := range tables {
			n, err := copyTable(ctx, srcTx, tx, t)
			if err != nil {
				return fmt.Errorf("table %s: %w", t.name, err)
			}
			out = append(out, TableCopy{Table: t.name, Rows: n})
		}
		if err := verifyCounts(ctx, srcTx, tx, out); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("copy to PostgreSQL: %w", err)
	}
	return out, nil
}

// table is a SQLite table and its columns, in order.
type table struct {
	name    string
	columns []string
	// identity is the column PostgreSQL numbers from a sequence ("" when
	// none): SQLite's INTEGER PRIMARY KEY.
	identity string
}

// sqliteTables lists the SQLite database's tables, by name.
func sqliteTables(ctx context.Context, tx *sql.Tx) ([]table, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []table
	for _, n := range names {
		t := table{name: n}
		cols, err := tx.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`, n)
		if err != nil {
			return nil, err
		}
		var pks []string
		for cols.Next() {
			var col, typ string
			var pk int
			if err := cols.Scan(&col, &typ, &pk); err != nil {
				cols.Close()
				return nil, err
			}
			t.columns = append(t.columns, col)
			if pk > 0 {
				pks = append(pks, col+" "+strings.ToUpper(typ))
			}
		}
		cols.Close()
		if err := cols.Err(); err != nil {
			return nil, err
		}
		if len(pks) == 1 && strings.HasSuffix(pks[0], " INTEGER") {
			t.identity = strings.TrimSuffix(pks[0], " INTEGER")
		}
		out = append(out, t)
	}
	return out, nil
}

// prepareTarget checks that PostgreSQL has every table and column the
// SQLite file has (a schema that drifted would drop data silently), and
// that it is empty, or empties it when asked to.
func prepareTarget(ctx context.Context, tx pgx.Tx, tables []table, opts CopyOptions) error {
	var filled []string
	for _, t := range tables {
		rows, err := tx.Query(ctx, `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, t.name)
		if err != nil {
			return err
		}
		have, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(have) == 0 {
			return fmt.Errorf("PostgreSQL has no table %s; is it vigil's database, at the same version?", t.name)
		}
		for _, c := range t.columns {
			if !slices.Contains(have, c) {
				return fmt.Errorf("PostgreSQL's table %s has no column %s; is it at the same schema version?", t.name, c)
			}
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{t.name}.Sanitize()).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			filled = append(filled, fmt.Sprintf("%s: %d", t.name, n))
		}
	}
	if len(filled) == 0 {
		return nil
	}
	if !opts.Overwrite {
		return fmt.Errorf("%w (%s)", ErrTargetNotEmpty, strings.Join(filled, ", "))
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = pgx.Identifier{t.name}.Sanitize()
	}
	_, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(names, ", ")+` RESTART IDENTITY`)
	return err
}

// copyTable streams one table's rows into PostgreSQL and moves its id
// sequence past them; it returns how many rows it copied.
func copyTable(ctx context.Context, src *sql.Tx, dst pgx.Tx, t table) (int64, error) {
	quoted := make([]string, len(t.columns))
	for i, c := range t.columns {
		quoted[i] = `"` + c + `"`
	}
	rows, err := src.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM "`+t.name+`"`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n, err := dst.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, &sqlRows{rows: rows, values: make([]any, len(t.columns))})
	if err != nil {
		return 0, err
	}
	if t.identity != "" {
		// The next id is one past the largest copied, as SQLite would
		// have given it; an empty table starts at 1.
		_, err = dst.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(`+pgx.Identifier{t.identity}.Sanitize()+`), 0) + 1, false) FROM `+pgx.Identifier{t.name}.Sanitize(),
			t.name, t.identity)
		if err != nil {
			return 0, fmt.Errorf("move the id sequence past the copied ids: %w", err)
		}
	}
	return n, nil
}

// verifyCounts refuses a copy whose tables do not have as many rows on both
// sides.
func verifyCounts(ctx context.Context, src *sql.Tx, dst pgx.Tx, copied []TableCopy) error {
	for _, c := range copied {
		var inSQLite, inPostgres int64
		if err := src.QueryRowContext(ctx, `SELECT count(*) FROM "`+c.Table+`"`).Scan(&inSQLite); err != nil {
			return err
		}
		if err := dst.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{c.Table}.Sanitize()).Scan(&inPostgres); err != nil {
			return err
		}
		if inSQLite != c.Rows || inPostgres != c.Rows {
			return fmt.Errorf("table %s: SQLite has %d rows, PostgreSQL %d after copying %d; nothing was kept", c.Table, inSQLite, inPostgres, c.Rows)
		}
	}
	return nil
}

// sqlRows feeds database/sql rows to pgx's COPY.
type sqlRows struct {
	rows   *sql.Rows
	values []any
	err    error
}

func (r *sqlRows) Next() bool {
	if !r.rows.Next() {
		return false
	}
	ptrs := make([]any, len(r.values))
	for i := range r.values {
		ptrs[i] = &r.values[i]
	}
	r.err = r.rows.Scan(ptrs...)
	return r.err == nil
}

func (r *sqlRows) Values() ([]any, error) { return r.values, r.err }

func (r *sqlRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}
