package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL's error codes the storage code branches on.
// Source: https://www.postgresql.org/docs/current/errcodes-appendix.html
const (
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

// Retrying a SERIALIZABLE transaction that raced another.
const (
	// maxTxAttempts bounds the retries: a transaction refused this often
	// in a row is fighting a storm, and its caller is better told.
	maxTxAttempts = 10
	// txRetryBackoff is the first wait between attempts, doubled each
	// time and jittered, so that two racing transactions do not collide
	// again in step.
	txRetryBackoff = 2 * time.Millisecond
)

// connectTimeout bounds how long Open waits for the server: a wrong host
// should be an error an admin reads, not a hang.
const connectTimeout = 10 * time.Second

// pgMaxConns is how many connections one process keeps at most: enough
// for polls, deliveries and commands at once, and a small share of the
// server's max_connections (100 by default) so several processes fit.
const pgMaxConns = 16

// ErrCannotConnect means the PostgreSQL server could not be reached or
// refused the connection; the error says where and as whom, never the
// password.
var ErrCannotConnect = errors.New("cannot connect to PostgreSQL")

// OpenPostgres connects to the PostgreSQL database dsn names (a URL such
// as postgres://vigil@db.example/vigil, or key=value pairs) and brings its
// schema up to date. The database must exist; its tables are created on
// first use. A search_path in dsn puts Vigil's tables in that schema.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	sqlDB, where, err := connectPostgres(ctx, dsn)
	if err != nil {
		return nil, err
	}
	d := &DB{db: handle{db: sqlDB, dialect: &dialect{engine: EnginePostgres}}, location: where, now: time.Now}
	for _, o := range opts {
		o(d)
	}
	if err := d.migrate(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open PostgreSQL database at %s: %w", where, err)
	}
	return d, nil
}

// CheckPostgres connects to the database dsn names and reports the schema
// version it has and the one this build would bring it to, changing
// nothing: what `vigil check` tells an operator about the database.
func CheckPostgres(ctx context.Context, dsn string) (where string, have, want int, err error) {
	sqlDB, where, err := connectPostgres(ctx, dsn)
	if err != nil {
		return "", 0, 0, err
	}
	defer sqlDB.Close()
	ms, err := migrations(EnginePostgres)
	if err != nil {
		return "", 0, 0, err
	}
	have, err = pgSchemaVersion(ctx, handle{db: sqlDB, dialect: &dialect{engine: EnginePostgres}})
	if err != nil {
		return "", 0, 0, fmt.Errorf("read the schema version of the PostgreSQL database at %s: %w", where, err)
	}
	return where, have, len(ms), nil
}

// connectPostgres opens a pool on dsn and makes sure a connection works,
// returning where it connected in words for messages.
func connectPostgres(ctx context.Context, dsn string) (*sql.DB, string, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, "", fmt.Errorf("open PostgreSQL database: %w", DSNError(err))
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	where := DescribeDSN(cfg)
	sqlDB := stdlib.OpenDB(*cfg)
	sqlDB.SetMaxOpenConns(pgMaxConns)
	sqlDB.SetMaxIdleConns(pgMaxConns)
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, "", fmt.Errorf("%w at %s: %s", ErrCannotConnect, where, connectReason(err))
	}
	return sqlDB, where, nil
}

// DSNError is why dsn could not be read as a connection string, in words
// that do not repeat it: it may hold a password.
func DSNError(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return fmt.Errorf("the connection string is not valid: %w", pe.Unwrap())
	}
	return errors.New("the connection string is not valid (expected postgres://user@host:5432/database or host=... user=... dbname=...)")
}

// DescribeDSN names a server and login for messages: host and port (or
// the socket directory), user and database; never the password.
func DescribeDSN(cfg *pgx.ConnConfig) string {
	host := cfg.Host
	if strings.HasPrefix(host, "/") {
		host = "socket " + host
	} else {
		host = net.JoinHostPort(host, strconv.Itoa(int(cfg.Port)))
	}
	return fmt.Sprintf("%s as user %q, database %q", host, cfg.User, cfg.Database)
}

// connectReason is the server's or the network's reason for refusing a
// connection, without pgx's preamble (which repeats the connection
// parameters).
func connectReason(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01", "28000":
			return "the server refused the login (" + pgErr.Message + "); check the user and password"
		case "3D000":
			return "the database does not exist (" + pgErr.Message + "); create it first, e.g. createdb"
		}
		return pgErr.Message
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return netErr.Err.Error() + "; check that the server runs and the host and port are right"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		return ce.Unwrap().Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer in time; check the host and port, and any firewall between"
	}
	return err.Error()
}

// pgSchemaTable records how many migrations a PostgreSQL database has had,
// since it has no PRAGMA user_version: one row, one number.
const pgSchemaTable = "vigil_schema"

// pgSchemaVersion reads the schema version; a database without the table
// has none applied.
func pgSchemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var exists bool
	if err := q.QueryRowContext(ctx, `SELECT to_regclass('`+pgSchemaTable+`') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int
	err := q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM `+pgSchemaTable).Scan(&v)
	return v, err
}

// migratePostgres applies the migrations a PostgreSQL database lacks, each
// in its own transaction with its version (DDL is transactional there).
// Processes starting together take turns by an advisory lock held for the
// transaction, per schema, so each migration is applied once.
func (d *DB) migratePostgres(ctx context.Context, ms []migration) error {
	for _, m := range ms {
		err := d.runTx(ctx, nil, func(tx *txn) error {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('vigil migrations ' || current_schema(), 0))`); err != nil {
				return fmt.Errorf("wait for other vigil processes: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+pgSchemaTable+` (version integer NOT NULL)`); err != nil {
				return err
			}
			current, err := pgSchemaVersion(ctx, tx)
			if err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if current > len(ms) {
				return fmt.Errorf("%w: the database is at schema version %d, this build knows up to %d; run the newer vigil or restore a backup", ErrNewerSchema, current, len(ms))
			}
			if current >= m.version {
				return nil
			}
			// The file is PostgreSQL's own words already: not translated.
			if _, err := tx.tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.name, err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+pgSchemaTable); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO `+pgSchemaTable+` (version) VALUES (?)`, m.version)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// retrySerializable runs fn in a SERIALIZABLE transaction, again from the
// start while PostgreSQL refuses it for racing another.
func (d *DB) retrySerializable(ctx context.Context, fn func(*txn) error) error {
	wait := txRetryBackoff
	for attempt := 1; ; attempt++ {
		err := d.runTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable}, fn)
		if err == nil || !isRetryable(err) || attempt == maxTxAttempts {
			return err
		}
		t := time.NewTimer(wait/2 + rand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
}

// isRetryable is true for the errors PostgreSQL gives a transaction that
// would have broken serializability: running it again can succeed.
func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == pgSerializationFailure || pgErr.Code == pgDeadlockDetected)
}
