// Command vigil watches security news feeds and posts what each Discord
// channel asked for.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// command is one subcommand of vigil.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv is what a subcommand may touch of the process, so tests can run
// subcommands in-process.
type cliEnv struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// now is the clock; nil means time.Now. Tests fix it so that the
	// demo's output is the same on every run.
	now func() time.Time
}

func commands() []command {
	return []command{
		{"run", "run the service: poll feeds, store and deliver alerts", runRun},
		{"demo", "run the whole pipeline on built-in sample feeds, offline", runDemo},
		{"check", "fetch or read one feed and print its stories", runCheck},
		{"tag", "print the countries and regions a text is about", runTag},
		{"regions", "list every region's slug, name and countries", runRegions},
		{"match", "match stories (JSON lines on stdin) against queries", runMatch},
		{"summarize", "summarise text on stdin", runSummarize},
		{"feeds", "add, list, remove, import or export feeds (OPML) in the database", runFeeds},
		{"watch", "add, list or remove channel subscriptions in the database", runWatch},
		{"recent", "list stored stories, newest first", runRecent},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	err := dispatch(ctx, env, os.Args[1:])
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "vigil: %v\n", err)
		}
		os.Exit(exitCode(err))
	}
}

// errUsage marks errors in how vigil was invoked (exit status 2).
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

func dispatch(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr)
		if len(args) == 0 {
			return fmt.Errorf("%w: no command given", errUsage)
		}
		return flag.ErrHelp
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	usage(env.stderr)
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: vigil <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'vigil <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set that reports errors instead of exiting, with
// help that names the command.
func newFlagSet(env *cliEnv, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: vigil %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
