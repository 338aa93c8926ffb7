// Command whittle inspects container images, shows why every byte is in
// them, and rebuilds smaller ones that still work. It is the CLI front end
// (cobra, one file per command): it parses flags, wires the library
// packages (source opens, analyze indexes, audit judges, closure computes
// closures, etcgen writes /etc, builder builds, tui browses) and owns
// stdout, stderr and the exit code; no logic of its own lives here.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/whittle-dev/whittle/internal/text"
)

func main() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		tuneGC()
	}
	stopProfiles, err := startProfiles()
	if err == nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err = newRootCommand().ExecuteContext(ctx)
		stop()
	}
	stopProfiles()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err (once, on one line) and maps it to the exit status:
// 0 success, 2 a failed CI rule, 3 a doctor error-level problem, 1 any
// other error. The message may quote
// a hostile name from an image, so the whole line is escaped: a control
// byte shows as \x1b, a newline as \n.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ce *ciFailure
	if errors.As(err, &ce) {
		return 2
	}
	var de *doctorFailure
	if errors.As(err, &de) {
		return 3
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "whittle: interrupted; nothing was left half-written")
		return 1
	}
	fmt.Fprintf(stderr, "whittle: %s\n", text.Escape(err.Error()))
	return 1
}

// ciFailure reports that `audit --ci` found a rule broken; the report has
// already been printed.
type ciFailure struct{}

func (*ciFailure) Error() string { return "a CI rule failed" }
