package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kballard/go-shellquote"
	"github.com/spf13/cobra"

	"github.com/whittle-dev/whittle/builder/verify"
	"github.com/whittle-dev/whittle/internal/text"
)

type verifyFlags struct {
	sandbox  string
	timeout  time.Duration
	dir      string
	limits   limitFlags
	against  string
	ignore   []string
	exitOnly bool
	probe    string
}

func newVerifyCommand(g *globalFlags) *cobra.Command {
	f := &verifyFlags{}
	cmd := &cobra.Command{
		Use:   "verify REF -- CMD [ARGS...]",
		Short: "Run a command inside an image's root file system, sandboxed, to prove it works",
		Long: `verify unpacks the image's final root file system into a private directory
(mode 0700, no device nodes, sparse files kept sparse; nothing is ever
written outside it, whatever the image's names and links say; removed
afterwards, and left-overs of killed runs removed first) and runs the
command after -- inside it as the image would run it: the config's Env
(its PATH finds the command in the image; PATH, HOSTNAME and HOME added as
Docker adds them), WorkingDir and User (resolved through the image's
/etc/passwd and /etc/group), in a sandbox contained as runc's defaults
contain a container: own pid, mount, network (loopback only), UTS and IPC
namespaces, Docker's capabilities, no_new_privs, the root nosuid and
nodev, /proc/sys read-only and /proc/kcore and the like masked, limits on
processes, memory and written bytes. The sandbox is bubblewrap when
installed, else Linux namespaces set up by whittle (needs root). It prints
PASS or FAIL with the command's output and exits 1 when the command fails.

  whittle verify oci:min -- python3 -c 'import ssl, json'
  whittle verify min.tar --timeout 30s -- /app/bin/server --self-test

With --against SOURCE, the command runs in both images (each with its own
config's Env, User and WorkingDir) and verify fails on any difference of
exit status, standard output or standard error, printing the first
differing lines of each; --ignore masks output that legitimately varies,
--exit-only compares the exit status alone, and --probe starts a server and
compares its answers, asked on loopback inside the sandbox:

  whittle verify --against app.tar min.tar -- python3 /app/run.py
  whittle verify --against app.tar min.tar --probe http://127.0.0.1:8080/ --`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			if dash < 0 || (dash >= len(args) && f.probe == "") {
				return errors.New("verify: give the command to run after --, as in: whittle verify REF -- sh -c 'exit 0'")
			}
			if f.against != "" {
				if dash != 1 {
					return fmt.Errorf("verify --against SOURCE: want the result's reference before --, got %d references", dash)
				}
				return runAgainst(cmd, g, f, f.against, args[0], args[dash:])
			}
			if dash != 1 {
				return fmt.Errorf("verify: want one image reference before --, got %d", dash)
			}
			if f.probe != "" || len(f.ignore) > 0 || f.exitOnly {
				return errors.New("verify: --probe, --ignore and --exit-only compare with a source: give --against SOURCE")
			}
			return runVerify(cmd, g, f, args[0], args[dash:])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.sandbox, "sandbox", "auto", "auto (bwrap when installed), bwrap or namespaces")
	fl.DurationVar(&f.timeout, "timeout", verify.DefaultTimeout, "longest a command may run")
	fl.StringVar(&f.dir, "dir", "", "make the private directory for the unpacked image in this directory instead of the temporary one (removed afterwards)")
	addLimitFlags(fl, &f.limits)
	fl.StringVar(&f.against, "against", "", "run the command in this source image too and fail on any difference of exit status, stdout or stderr")
	fl.StringArrayVar(&f.ignore, "ignore", nil, "with --against: remove text matching this regular expression (RE2) from both sides before comparing (repeatable)")
	fl.BoolVar(&f.exitOnly, "exit-only", false, "with --against: compare the exit status only")
	fl.StringVar(&f.probe, "probe", "", "with --against: start the command (or the entry point) as a server and compare its answers: tcp:PORT or http://127.0.0.1:PORT/PATH")
	return cmd
}

func runVerify(cmd *cobra.Command, g *globalFlags, f *verifyFlags, ref string, argv []string) error {
	opts := verify.Options{Timeout: f.timeout, Dir: f.dir}
	limits, err := f.limits.limits()
	if err != nil {
		return err
	}
	opts.Limits = limits
	opts.Sandbox, err = parseSandbox(f.sandbox)
	if err != nil {
		return err
	}
	s, ix, err := g.openAndIndex(cmd.Context(), ref, cmd.ErrOrStderr(), asksIndex)
	if err != nil {
		return err
	}
	defer s.Close()
	im := s.Image()
	progress := g.progress(cmd.ErrOrStderr(), ref)
	progress("unpacking")
	opts.Started = func([]string) { progress("") }
	results, err := verify.Verify(cmd.Context(), im, ix, [][]string{argv}, opts)
	progress("")
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	var failed []verify.Result
	for _, r := range results {
		writeResult(out, r)
		if !r.Passed {
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("verify: %s failed in %s: %s", quoteArgv(failed[0].Argv), ref, failure(failed[0]))
	}
	return nil
}

// failure says in a few words why a command failed.
func failure(r verify.Result) string {
	if r.Err != nil {
		return r.Err.Error()
	}
	return "exit status " + strconv.Itoa(r.ExitCode)
}

// writeResult prints PASS or FAIL, the command and its output, indented
// and with control characters escaped.
func writeResult(w io.Writer, r verify.Result) {
	status := "PASS"
	detail := ""
	if !r.Passed {
		status, detail = "FAIL", "; "+text.Escape(failure(r))
	}
	fmt.Fprintf(w, "%s  %s  (%s%s)\n", status, quoteArgv(r.Argv), r.Duration.Round(time.Millisecond), detail)
	out := strings.TrimRight(string(r.Output), "\n")
	if r.Truncated {
		out = "[… earlier output cut]\n" + out
	}
	if out == "" {
		return
	}
	for _, line := range strings.Split(out, "\n") {
		fmt.Fprintf(w, "    %s\n", text.Escape(line))
	}
}

// quoteArgv renders a command as a shell would read it back, with control
// characters escaped.
func quoteArgv(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		switch {
		case a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "":
			words[i] = a
		case !text.Safe(a) || strings.ContainsAny(a, "\n\t\\"):
			// bash's $'…' reads back text.Escape's escapes.
			words[i] = "$'" + strings.ReplaceAll(text.Escape(a), "'", `\'`) + "'"
		default:
			words[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(words, " ")
}

// parseSandbox reads a --sandbox value.
func parseSandbox(s string) (verify.Sandbox, error) {
	switch s {
	case "auto":
		return verify.SandboxAuto, nil
	case "bwrap":
		return verify.SandboxBwrap, nil
	case "namespaces":
		return verify.SandboxNamespaces, nil
	}
	return 0, fmt.Errorf("--sandbox %q: want auto, bwrap or namespaces", s)
}

// shellWords splits a command line as a POSIX shell would, without
// expanding anything.
func shellWords(s string) ([]string, error) {
	words, err := shellquote.Split(s)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, errors.New("no command")
	}
	return words, nil
}
