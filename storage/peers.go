package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// Beat records that peer is alive until now+ttl, forgets peers whose time
// ran out (and their leases), and returns the peers alive now, this one
// among them, ordered by ID.
func (d *DB) Beat(ctx context.Context, peer alerts.Peer, ttl time.Duration) ([]alerts.Peer, error) {
	now := d.now()
	var live []alerts.Peer
	err := d.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO peers (id, host, pid, started_at, seen_at, expires_at, shard_count) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, expires_at = excluded.expires_at, shard_count = excluded.shard_count`,
			peer.ID, peer.Host, peer.PID, toMillis(peer.Started), toMillis(now), toMillis(now.Add(ttl)), peer.ShardCount); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM peers WHERE expires_at <= ?`, toMillis(now)); err != nil {
			return err
		}
		// A dead peer's leases would run out by themselves; dropping them
		// now hands its work over without waiting for each one.
		if _, err := tx.ExecContext(ctx, `DELETE FROM leases WHERE holder NOT IN (SELECT id FROM peers) AND expires_at > ? AND name NOT LIKE '`+HoldPrefix+`%'`, toMillis(now)); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, host, pid, started_at, seen_at, expires_at, shard_count FROM peers ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p alerts.Peer
			var started, seen, expires int64
			if err := rows.Scan(&p.ID, &p.Host, &p.PID, &started, &seen, &expires, &p.ShardCount); err != nil {
				return err
			}
			p.Started, p.Seen, p.Expires = fromMillis(started), fromMillis(seen), fromMillis(expires)
			live = append(live, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("record peer %s alive: %w", peer.ID, err)
	}
	return live, nil
}

// HoldPrefix begins the name of a lease that claims a stretch of time
// rather than work, such as the five seconds Discord counts an IDENTIFY
// against its rate-limit key: it lasts until it expires even if its holder
// leaves or dies, since what it guards does not end with the holder.
const HoldPrefix = "hold:"

// Leave removes peer and frees its leases at once (its holds excepted): a
// clean shutdown hands its work over without the others waiting for it to
// expire.
func (d *DB) Leave(ctx context.Context, peerID string) error {
	err := d.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM leases WHERE holder = ? AND name NOT LIKE '`+HoldPrefix+`%'`, peerID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM peers WHERE id = ?`, peerID)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove peer %s: %w", peerID, err)
	}
	return nil
}

// TakeLease gives the lease name to holder until now+ttl if it is free,
// expired or already holder's (renewing it), and reports whether holder
// has it now. One statement, so two peers racing for a lease cannot both
// win it.
func (d *DB) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := d.now()
	res, err := d.db.ExecContext(ctx, `
		INSERT INTO leases (name, holder, taken_at, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			holder = excluded.holder,
			taken_at = CASE WHEN leases.holder = excluded.holder THEN leases.taken_at ELSE excluded.taken_at END,
			expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
		name, holder, toMillis(now), toMillis(now.Add(ttl)), toMillis(now))
	if err != nil {
		return false, fmt.Errorf("take lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("take lease %s: %w", name, err)
	}
	return n == 1, nil
}

// DropLease frees the lease name if holder has it.
func (d *DB) DropLease(ctx context.Context, name, holder string) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("drop lease %s: %w", name, err)
	}
	return nil
}

// Leases returns the unexpired leases holder has, by name.
func (d *DB) Leases(ctx context.Context, holder string) ([]alerts.Lease, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name, holder, taken_at, expires_at FROM leases WHERE holder = ? AND expires_at > ? ORDER BY name`,
		holder, toMillis(d.now()))
	if err != nil {
		return nil, fmt.Errorf("list leases of %s: %w", holder, err)
	}
	defer rows.Close()
	var out []alerts.Lease
	for rows.Next() {
		var l alerts.Lease
		var taken, expires int64
		if err := rows.Scan(&l.Name, &l.Holder, &taken, &expires); err != nil {
			return nil, fmt.Errorf("list leases of %s: %w", holder, err)
		}
		l.Taken, l.Expires = fromMillis(taken), fromMillis(expires)
		out = append(out, l)
	}
	return out, rows.Err()
}

// TakeRate asks the budget name, shared by every process on the database,
// for one request at a steady rate of one per interval with bursts of up
// to burst requests. It returns 0 when the request may go now, and
// otherwise how long to wait before asking again. The check and the update
// are one statement, so processes asking at once cannot overspend it.
func (d *DB) TakeRate(ctx context.Context, name string, interval time.Duration, burst int) (time.Duration, error) {
	step := interval.Microseconds()
	if step <= 0 {
		return 0, fmt.Errorf("take from rate budget %s: interval %v is under a microsecond", name, interval)
	}
	tolerance := step * int64(max(burst, 1)-1)
	now := d.now().UnixMicro()
	res, err := d.db.ExecContext(ctx, `
		INSERT INTO rate_budgets (name, tat) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET
			tat = CASE WHEN rate_budgets.tat > ? THEN rate_budgets.tat ELSE ? END + ?
		WHERE rate_budgets.tat - ? <= ?`,
		name, now+step, now, now, step, now, tolerance)
	if err != nil {
		return 0, fmt.Errorf("take from rate budget %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("take from rate budget %s: %w", name, err)
	}
	if n == 1 {
		return 0, nil
	}
	var tat int64
	if err := d.db.QueryRowContext(ctx, `SELECT tat FROM rate_budgets WHERE name = ?`, name).Scan(&tat); err != nil {
		return 0, fmt.Errorf("read rate budget %s: %w", name, err)
	}
	// Another process may have taken the slot since; the caller asks again.
	return max(time.Duration(tat-now-tolerance)*time.Microsecond, time.Microsecond), nil
}
