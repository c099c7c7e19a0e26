package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/vigilbot/vigil/storage"
)

// runMigrate copies a SQLite deployment into PostgreSQL. The source is
// --from or the config's storage.path; the target --to, or the config's
// storage.dsn (or VIGIL_DATABASE_URL) when its driver is postgres. vigil
// must be stopped meanwhile: the copy holds SQLite's write lock, so a
// running vigil would stall, and anything it wrote after the copy would
// be left behind.
func runMigrate(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "migrate", "migrate [--from FILE] [--to DSN] [--config FILE] [--overwrite]\n\n"+
		"Copies a SQLite database into PostgreSQL, losing nothing: every table, with ids\n"+
		"kept so pending alerts and their nonces stay valid, in one transaction, checked\n"+
		"by counting every table on both sides. Stop vigil first. The PostgreSQL database\n"+
		"must exist (createdb); an existing one with vigil data is refused unless\n"+
		"--overwrite. Afterwards set storage.driver = \"postgres\" and start vigil.")
	af := addAdminFlags(fs)
	from := fs.String("from", "", "the SQLite file to copy (default: the config's storage.path)")
	to := fs.String("to", "", "the PostgreSQL connection string, e.g. postgres://vigil@db.example/vigil (default: the config's storage.dsn or VIGIL_DATABASE_URL)")
	overwrite := fs.Bool("overwrite", false, "replace vigil data already in the PostgreSQL database instead of refusing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs, "give the source with --from FILE and the target with --to DSN"); err != nil {
		return err
	}
	src, dst, err := migrateEnds(env, *af.config, *from, *to)
	if err != nil {
		return err
	}
	if _, err := os.Stat(src); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("migrate: no SQLite database at %s; give the file with --from", src)
		}
		return fmt.Errorf("migrate: %w", err)
	}

	lite, err := storage.Open(ctx, src)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer lite.Close()
	pg, err := storage.OpenPostgres(ctx, dst)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer pg.Close()
	copied, err := storage.CopyToPostgres(ctx, lite, pg, storage.CopyOptions{Overwrite: *overwrite})
	if errors.Is(err, storage.ErrTargetNotEmpty) {
		return fmt.Errorf("migrate: %w; give --overwrite to replace it with the SQLite file's data", err)
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	w := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(env.stdout, "copied %s into PostgreSQL (%s), every table counted on both sides:\n", src, pg.Location())
	var total int64
	for _, c := range copied {
		fmt.Fprintf(w, "%d\t  %s\n", c.Rows, c.Table)
		total += c.Rows
	}
	w.Flush()
	fmt.Fprintf(env.stdout, "%d rows in all. Set storage.driver = \"postgres\" (with storage.dsn or VIGIL_DATABASE_URL) and start vigil; keep %s as a backup.\n", total, src)
	return nil
}

// migrateEnds works out the SQLite file and the PostgreSQL connection
// string from the flags, then the config.
func migrateEnds(env *cliEnv, configFlag, from, to string) (src, dst string, err error) {
	path := resolveConfigPath(configFlag, env.getenv)
	if from != "" && to != "" && configFlag == "" {
		return from, to, nil
	}
	cfg, err := LoadConfig(path, env.getenv)
	if err != nil {
		return "", "", err
	}
	src, dst = from, to
	if src == "" {
		src = cfg.Storage.Path
	}
	if dst == "" {
		dst = cfg.Storage.DSN
		if dst == "" {
			dst = env.getenv("VIGIL_DATABASE_URL")
		}
	}
	if dst == "" {
		return "", "", fmt.Errorf("%w: migrate: no PostgreSQL database to copy into; give --to postgres://user@host/db, or set storage.dsn or VIGIL_DATABASE_URL", errUsage)
	}
	return src, dst, nil
}
