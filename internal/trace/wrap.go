package trace

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
)

// wrapperArg0 marks this program re-executed as a tracer (Wrap).
const wrapperArg0 = "whittle-trace-init"

// Wrap changes cmd, before it starts, so that this program (re-executed
// through /proc/self/exe) starts it under the tracer with Launcher set,
// passing on its arguments, environment and descriptors, and exits as it
// does. launcherExecs is Options.LauncherExecs. The accesses are written to out as a JSON array when the traced
// processes have all exited. The program must call Init early (the
// package does, from its init function).
func Wrap(cmd *exec.Cmd, out *os.File, launcherExecs int) {
	fd := 3 + len(cmd.ExtraFiles)
	args := []string{wrapperArg0, strconv.Itoa(fd), strconv.Itoa(launcherExecs), cmd.Path}
	cmd.Args = append(args, cmd.Args...)
	cmd.Path = "/proc/self/exe"
	cmd.Err = nil
	// Stopped (a probed server), the tracer kills what it traces and
	// still writes what they touched.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.ExtraFiles = append(cmd.ExtraFiles, out)
}

func init() { Init() }

// Init runs the tracer when the program was started as one by Wrap, and
// returns at once otherwise. In the tracer it never returns.
func Init() {
	if len(os.Args) < 5 || os.Args[0] != wrapperArg0 {
		return
	}
	fd, err := strconv.Atoi(os.Args[1])
	if err != nil || fd < 3 {
		fmt.Fprintln(os.Stderr, "whittle trace: bad descriptor", os.Args[1])
		os.Exit(127)
	}
	execs, err := strconv.Atoi(os.Args[2])
	if err != nil || execs < 0 {
		fmt.Fprintln(os.Stderr, "whittle trace: bad launcher executions", os.Args[2])
		os.Exit(127)
	}
	out := os.NewFile(uintptr(fd), "trace")
	syscall.CloseOnExec(fd)
	var files []*os.File
	for i := 3; i < fd; i++ {
		files = append(files, os.NewFile(uintptr(i), "fd"+strconv.Itoa(i)))
	}
	argv := os.Args[4:]
	argv0, launcher := argv[0], os.Args[3]
	argv[0] = launcher
	dir, _ := os.Getwd()
	kill := make(chan struct{})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		close(kill)
	}()
	res, err := Run(argv, Options{Launcher: true, LauncherExecs: execs, Env: os.Environ(), Dir: dir, Files: files,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Kill: kill, argv0: argv0})
	if err != nil {
		fmt.Fprintf(os.Stderr, "whittle trace: %v\n", err)
		os.Exit(127)
	}
	accesses := res.Accesses
	if accesses == nil {
		accesses = []Access{}
	}
	if err := json.NewEncoder(out).Encode(accesses); err != nil {
		fmt.Fprintf(os.Stderr, "whittle trace: writing the trace: %v\n", err)
		os.Exit(127)
	}
	out.Close()
	switch ws := res.Status; {
	case ws.Signaled():
		signal.Reset()
		syscall.Kill(os.Getpid(), ws.Signal())
		os.Exit(128 + int(ws.Signal()))
	default:
		os.Exit(ws.ExitStatus())
	}
}
