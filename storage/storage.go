// Package storage keeps Vigil's whole state: feeds and their poll state,
// every story seen, subscriptions and the delivery outbox.
//
// By default that is one SQLite file, through modernc.org/sqlite (pure Go,
// no cgo) in WAL mode, so one binary and one file run a deployment.
// PostgreSQL (through pgx) is the second engine, for deployments that
// outgrow a file; the same code and the same API run on both (see
// engine.go for how). The schema lives in migrations/*.sql for SQLite and
// migrations/postgres/*.sql for PostgreSQL, the same numbered steps in each
// engine's words, embedded and applied in order; PRAGMA user_version, or on
// PostgreSQL the vigil_schema table, records how far a database has come.
// Consumers define the small interfaces they need; *DB satisfies them.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/vigilbot/vigil/alerts"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// busyTimeout is how long a writer waits for another to finish before
// SQLite gives up with SQLITE_BUSY; polls and deliveries write concurrently.
const busyTimeout = 10 * time.Second

// ErrNewerSchema means the database was written by a newer Vigil; running an
// older one against it could lose data, so Open refuses.
var ErrNewerSchema = errors.New("database schema is newer than this vigil")

// ErrNotFound is returned when a row asked for by key does not exist; it is
// the domain's alerts.ErrNotFound, so callers need not import storage.
var ErrNotFound = alerts.ErrNotFound

// DB is the open database.
type DB struct {
	db handle
	// location says where the database is, for messages: the file, or
	// the server and login (never the password).
	location string
	now      func() time.Time
	// limits are the per-server caps, enforced inside the transaction that
	// adds, so that commands racing each other cannot pass them.
	limits alerts.Limits
}

// Option changes how Open sets up the DB.
type Option func(*DB)

// WithClock makes the DB stamp rows with now instead of the wall clock.
func WithClock(now func() time.Time) Option { return func(d *DB) { d.now = now } }

// WithLimits enforces per-server caps and a channel's hourly pace (alerts
// past it are folded into one digest message). Without it nothing is
// capped; vigil run passes the config's [limits].
func WithLimits(l alerts.Limits) Option { return func(d *DB) { d.limits = l } }

// Open opens (creating if needed) the SQLite file at path and brings its
// schema up to date.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	// SQLite reports every reason it cannot open a file as "unable to open
	// database file (14)"; finding the reason first lets the error name it.
	if err := checkDatabasePath(path); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Write transactions take the lock up front so two writers cannot both
	// read and then deadlock upgrading to a write lock.
	q.Set("_txlock", "immediate")
	sqlDB, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	d := &DB{db: handle{db: sqlDB, dialect: &dialect{engine: EngineSQLite}, writes: newWriteQueue()}, location: path, now: time.Now}
	for _, o := range opts {
		o(d)
	}
	if err := d.migrate(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return d, nil
}

// checkDatabasePath says why SQLite could not open or create path, if it
// could not: a missing directory, a directory where the file should be, or
// a permission the service's user lacks. It creates nothing that stays.
func checkDatabasePath(path string) error {
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return fmt.Errorf("%s is a directory, not a database file; set storage.path to a file in it, such as %s", path, filepath.Join(path, "vigil.db"))
	case err == nil:
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return causeError{"permission denied: this user cannot write the database file", fs.ErrPermission}
			}
			return err
		}
		return f.Close()
	case !errors.Is(err, fs.ErrNotExist):
		if errors.Is(err, fs.ErrPermission) {
			return causeError{"permission denied: this user cannot reach the database file", fs.ErrPermission}
		}
		return err
	}
	dir := filepath.Dir(path)
	dst, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return causeError{fmt.Sprintf("the directory %s does not exist; create it or set storage.path", dir), fs.ErrNotExist}
	case errors.Is(err, fs.ErrPermission):
		return causeError{fmt.Sprintf("permission denied: this user cannot reach the directory %s", dir), fs.ErrPermission}
	case err != nil:
		return err
	case !dst.IsDir():
		return fmt.Errorf("%s is not a directory, so the database cannot be created in it", dir)
	}
	// Creating the database needs write access to the directory (SQLite
	// also keeps its -wal and -shm files there); a probe file is the one
	// portable way to know.
	probe, err := os.CreateTemp(dir, ".vigil-probe-*")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return causeError{fmt.Sprintf("permission denied: this user cannot create files in %s", dir), fs.ErrPermission}
		}
		return fmt.Errorf("cannot create the database in %s: %w", dir, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// causeError is a message in words that still matches errors.Is against
// the fs error it stands for, without repeating that error's text.
type causeError struct {
	msg string
	err error
}

func (e causeError) Error() string { return e.msg }
func (e causeError) Unwrap() error { return e.err }

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Location says where the database is: the SQLite file, or the
// PostgreSQL server, user and database (never the password).
func (d *DB) Location() string { return d.location }

// Engine is the database engine in use: EngineSQLite or EnginePostgres.
// Only operators' tools (vigil check, vigil migrate) need to know.
func (d *DB) Engine() string { return d.db.dialect.engine }

// SchemaVersion is the number of migrations applied to the database.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	if d.db.dialect.engine == EnginePostgres {
		return pgSchemaVersion(ctx, d.db)
	}
	var v int
	err := d.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the engine's migrations, in order.
func migrations(engine string) ([]migration, error) {
	dir := "migrations"
	if engine == EnginePostgres {
		dir = "migrations/postgres"
	}
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	return out, nil
}

func (d *DB) migrate(ctx context.Context) error {
	ms, err := migrations(d.db.dialect.engine)
	if err != nil {
		return err
	}
	if d.db.dialect.engine == EnginePostgres {
		return d.migratePostgres(ctx, ms)
	}
	current, err := d.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("%w: the file is at schema version %d, this build knows up to %d; run the newer vigil or restore a backup", ErrNewerSchema, current, len(ms))
	}
	for _, m := range ms[current:] {
		err := d.inTx(ctx, func(tx *txn) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			// PRAGMA takes no bound parameters; the version is our own integer.
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version))
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
	}
	return nil
}

// inTx runs fn in a write transaction. Its guarantee is SQLite's: the
// outcome is that of the transactions running one at a time, so a check
// made inside (a per-server cap, "is this briefing stored yet") still holds
// when the transaction commits. SQLite gets it by taking the write lock up
// front (_txlock=immediate); PostgreSQL runs the transaction SERIALIZABLE
// and may refuse to commit one that raced another, in which case fn runs
// again from the start. So fn must set, not accumulate, what it returns.
func (d *DB) inTx(ctx context.Context, fn func(*txn) error) error {
	if d.db.dialect.engine != EnginePostgres {
		return d.runTx(ctx, nil, fn)
	}
	return d.retrySerializable(ctx, fn)
}

func (d *DB) runTx(ctx context.Context, opts *sql.TxOptions, fn func(*txn) error) error {
	release, err := d.db.writes.enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tx, err := d.db.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(&txn{tx: tx, dialect: d.db.dialect}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Times are stored as Unix milliseconds; 0 means "never".
func toMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// Lists (country codes, region slugs, feed URLs, terms) are stored joined by
// the ASCII unit separator, which none of them can contain, so a URL with a
// comma survives the round trip.
const listSep = "\x1f"

func joinList(xs []string) string { return strings.Join(xs, listSep) }

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, listSep)
}
