package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The storage code is written once, in SQLite's SQL, and runs on both
// engines: for PostgreSQL each statement is translated once (and cached)
// by the few rules below, and arguments are converted where the two
// drivers disagree. Keeping one text per statement is what keeps the two
// engines from drifting apart; a statement that needs more than these rules
// is written so that both engines read it the same way (an explicit CAST,
// RETURNING instead of LastInsertId).

// Engine names, as storage.driver spells them.
const (
	EngineSQLite   = "sqlite"
	EnginePostgres = "postgres"
)

// dialect is how one engine takes the statements the storage code writes.
type dialect struct {
	engine string
	// translated caches PostgreSQL's text of each statement: the code has
	// a few dozen, each run many times.
	translated sync.Map // string → string
}

// sql returns query as the engine takes it.
func (d *dialect) sql(query string) string {
	if d.engine != EnginePostgres {
		return query
	}
	if q, ok := d.translated.Load(query); ok {
		return q.(string)
	}
	q := toPostgres(query)
	d.translated.Store(query, q)
	return q
}

// args converts arguments the engine's driver would refuse: the schema
// keeps SQLite's integer 0/1 for booleans on both engines (so that sums and
// comparisons with 0 read the same), and pgx will not encode a Go bool into
// an integer column.
func (d *dialect) args(args []any) []any {
	if d.engine != EnginePostgres {
		return args
	}
	var out []any
	for i, a := range args {
		b, ok := a.(bool)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = int64(0)
		if b {
			out[i] = int64(1)
		}
	}
	if out == nil {
		return args
	}
	return out
}

// pgFunctions are SQLite functions that PostgreSQL knows by another name,
// with the same arguments in the same order.
var pgFunctions = map[string]string{
	"char":  "chr",    // char(31): the list separator
	"instr": "strpos", // instr(haystack, needle) > 0: whole-item list membership
}

// toPostgres rewrites a statement in SQLite's dialect into PostgreSQL's:
// each ? placeholder becomes $1, $2, … in order, and the functions in
// pgFunctions are renamed. Quoted text is left alone.
func toPostgres(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 2
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i++
		case isIdentByte(c) && (i == 0 || !isIdentByte(query[i-1])):
			j := i
			for j < len(query) && isIdentByte(query[j]) {
				j++
			}
			word := query[i:j]
			if pg, ok := pgFunctions[strings.ToLower(word)]; ok && j < len(query) && query[j] == '(' {
				word = pg
			}
			b.WriteString(word)
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// handle is the database as the storage code uses it: *sql.DB's methods,
// speaking the engine's dialect.
type handle struct {
	db      *sql.DB
	dialect *dialect
	// writes queues this process's SQLite writers; nil for PostgreSQL,
	// whose writers do not wait on one lock.
	writes writeQueue
}

func (h handle) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	release, err := h.writes.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return h.db.ExecContext(ctx, h.dialect.sql(query), h.dialect.args(args)...)
}

// writeQueue lets SQLite writers take the database's one write lock in the
// order they asked for it. SQLite's own busy wait polls at up to 100 ms
// intervals, so a writer that commits and at once begins again (a huge
// poll saved in parts) would win the lock over and over while the others
// sleep: a burst on one server's feed would hold back every other
// server's alerts until it is done. A channel's blocked senders are woken
// first in, first out, so each part of the burst waits its turn behind
// the writers already waiting.
type writeQueue chan struct{}

func newWriteQueue() writeQueue { return make(writeQueue, 1) }

// enter waits for the queue's turn, at most busyTimeout as SQLite would,
// and returns what ends it. A nil queue lets every writer through.
func (q writeQueue) enter(ctx context.Context) (release func(), err error) {
	if q == nil {
		return func() {}, nil
	}
	// A select picks at random among ready cases: a writer already
	// cancelled must not be let in because the queue happened to be free.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case q <- struct{}{}: // no one waiting: most writes
		return q.leave, nil
	default:
	}
	timer := time.NewTimer(busyTimeout)
	defer timer.Stop()
	select {
	case q <- struct{}{}:
		return q.leave, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		return nil, errWriteQueueTimeout
	}
}

// leave ends a writer's turn, letting the next in.
func (q writeQueue) leave() { <-q }

// errWriteQueueTimeout is SQLite's "database is locked" in this process's
// words: a writer waited as long as SQLite's busy timeout would let it.
var errWriteQueueTimeout = fmt.Errorf("the database stayed busy with other writes for %v", busyTimeout)

func (h handle) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return h.db.QueryContext(ctx, h.dialect.sql(query), h.dialect.args(args)...)
}

func (h handle) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return h.db.QueryRowContext(ctx, h.dialect.sql(query), h.dialect.args(args)...)
}

func (h handle) Close() error { return h.db.Close() }

// txn is a transaction as the storage code uses it: *sql.Tx's methods,
// speaking the engine's dialect.
type txn struct {
	tx      *sql.Tx
	dialect *dialect
}

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.dialect.sql(query), t.dialect.args(args)...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.dialect.sql(query), t.dialect.args(args)...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.dialect.sql(query), t.dialect.args(args)...)
}

// PrepareContext prepares a statement run many times in the transaction.
func (t *txn) PrepareContext(ctx context.Context, query string) (*stmt, error) {
	s, err := t.tx.PrepareContext(ctx, t.dialect.sql(query))
	if err != nil {
		return nil, err
	}
	return &stmt{s: s, dialect: t.dialect}, nil
}

// stmt is a prepared statement whose arguments are converted for the
// engine.
type stmt struct {
	s       *sql.Stmt
	dialect *dialect
}

func (s *stmt) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return s.s.ExecContext(ctx, s.dialect.args(args)...)
}

func (s *stmt) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return s.s.QueryRowContext(ctx, s.dialect.args(args)...)
}

func (s *stmt) Close() error { return s.s.Close() }
