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
	"strings"
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
		{"migrate", "copy a SQLite database into PostgreSQL", runMigrate},
		{"version", "print vigil's version, commit and Go version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	code := runMain(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

// runMain runs one invocation and reports its error the way Go's own tools
// do: the error first, on one line, then for a usage mistake a hint where
// the help is. It returns the exit status.
func runMain(ctx context.Context, env *cliEnv, args []string) int {
	err := dispatch(ctx, env, args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(env.stderr, "vigil: %s\n", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
	if errors.Is(err, errUsage) {
		if len(args) > 0 && findCommand(args[0]) != nil {
			fmt.Fprintf(env.stderr, "Run 'vigil %s -h' for usage.\n", args[0])
		} else {
			// No command, or one vigil lacks: the list is the help.
			fmt.Fprintln(env.stderr)
			usage(env.stderr)
		}
	}
	return exitCode(err)
}

// errUsage marks errors in how vigil was invoked (exit status 2).
var errUsage = errors.New("usage")

// exitCode is 0 for help asked for, 2 for a usage mistake, 1 for a failure,
// as with Go's flag package.
func exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	return 1
}

func dispatch(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no command given", errUsage)
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(env.stdout)
		return flag.ErrHelp
	case "help":
		// "vigil help tag" is "vigil tag -h".
		if len(args) == 1 {
			usage(env.stdout)
			return flag.ErrHelp
		}
		if findCommand(args[1]) == nil {
			return fmt.Errorf("%w: help: unknown command %q", errUsage, args[1])
		}
		if len(args) > 2 {
			return fmt.Errorf("%w: help takes one command name, got %q too", errUsage, args[2])
		}
		return dispatch(ctx, env, []string{args[1], "-h"})
	}
	if c := findCommand(args[0]); c != nil {
		return c.run(ctx, env, args[1:])
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return &c
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: vigil <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'vigil help <command>' or 'vigil <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set that prints its help on stdout when asked
// (-h) and nothing on a mistake: parseFlags returns the mistake, and runMain
// prints it once, first, instead of after the whole help text.
func newFlagSet(env *cliEnv, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var failed flagFailure
	fs.SetOutput(&failed)
	fs.Usage = func() {
		// The flag package writes its error message before calling Usage;
		// with nothing written, Usage was called for -h.
		if failed {
			return
		}
		fs.SetOutput(env.stdout)
		defer fs.SetOutput(&failed)
		fmt.Fprintf(env.stdout, "Usage: vigil %s\n", synopsis)
		if hasFlags(fs) {
			fmt.Fprintln(env.stdout, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// flagFailure records that the flag package reported a mistake, and drops
// the message: the error parseFlags returns carries it.
type flagFailure bool

func (f *flagFailure) Write(p []byte) (int, error) {
	*f = true
	return len(p), nil
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseFlags parses a command's arguments: -h returns flag.ErrHelp (exit 0,
// help already printed), a mistake a usage error naming the command.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
}

// noArgs refuses positional arguments, the same way for every command that
// takes none; what says where the command's input comes from instead.
func noArgs(fs *flag.FlagSet, what string) error {
	if fs.NArg() == 0 {
		return nil
	}
	if what != "" {
		return fmt.Errorf("%w: %s takes no arguments, got %q; %s", errUsage, fs.Name(), fs.Arg(0), what)
	}
	return fmt.Errorf("%w: %s takes no arguments, got %q", errUsage, fs.Name(), fs.Arg(0))
}
