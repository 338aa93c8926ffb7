package script

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"
)

// brief renders a command as "line name [via] path" (path only when not
// the default), for exact comparisons.
func brief(c Command) string {
	s := fmt.Sprintf("%d %s", c.Line, c.Name)
	switch c.Kind {
	case Source:
		s += " (source)"
	case Script:
		s += " (script)"
	case Args:
		s += " (args)"
	}
	if len(c.Via) > 0 {
		s += " via " + strings.Join(c.Via, ",")
	}
	if p := strings.Join(c.Path, ":"); p != "/usr/bin:/bin" {
		s += " PATH=" + p
	}
	if c.Guarded {
		s += " guarded"
	}
	if c.File != "test.sh" {
		s += " in " + c.File
	}
	return s
}

func TestCommands(t *testing.T) {
	files := map[string]string{
		"/lib/funcs.sh":    "log_msg() { logger \"$@\"; }\nPATH=/opt/bin:$PATH\n",
		"/etc/default/app": "APP_OPTS=-v\n",
	}
	read := func(name string, path []string) (string, []byte, error) {
		if !strings.HasPrefix(name, "/") {
			name = "/etc/default/" + name
		}
		s, ok := files[name]
		if !ok {
			return "", nil, fs.ErrNotExist
		}
		return name, []byte(s), nil
	}
	tests := []struct {
		name, src string
		want      []string
		dyn       []string
	}{
		{"simple and builtins", "#!/bin/sh\nset -e\necho hi\nsed -i s/a/b/ f | tr a b\ncd /; true\n",
			[]string{"4 sed", "4 tr"}, nil},
		{"functions are not files, wherever defined", "f() { g; uname; }\nf\ng() { readlink x; }\n",
			[]string{"1 uname", "3 readlink"}, nil},
		{"substitutions, conditions, loops, case", "x=$(dirname \"$0\")\nif grep -q a b; then :; fi\n" +
			"while read l; do basename `cat f`; done < <(ls)\ncase $(id -u) in 0) chown a b;; esac\nfor f in $(seq 3); do :; done\n",
			[]string{"1 dirname", "2 grep", "3 ls", "3 cat", "3 basename", "4 id", "4 chown", "5 seq"}, nil},
		{"PATH assignments", "PATH=/opt/x:$PATH\nfoo\nexport PATH=\"/a\"\nbar\nPATH=/b baz\nqux\n",
			[]string{"2 foo PATH=/opt/x:/usr/bin:/bin", "4 bar PATH=/a", "5 baz PATH=/b", "6 qux PATH=/a"}, nil},
		{"wrappers", "exec gosu app nginx -g x\nenv -i PATH=/x A=1 run\nnice -n 5 nohup timeout -s KILL 5 sleep 1\n" +
			"xargs -0 -n1 rm\nxargs\nfind . -type f -exec chown app {} \\; -execdir test -e {} +\n" +
			"su-exec app:app true\ntini -s -- dumb-init -c cat\ncommand -v ls >/dev/null\ncommand -p ls\nexec \"$@\"\n",
			[]string{"1 gosu via exec", "1 nginx via exec,gosu", "2 env", "2 run via env PATH=/x",
				"3 nice", "3 nohup via nice", "3 timeout via nice,nohup", "3 sleep via nice,nohup,timeout",
				"4 xargs", "4 rm via xargs", "5 xargs", "5 echo via xargs", "6 find", "6 chown via find -exec", "6 test via find -execdir",
				"7 su-exec", "7 true via su-exec", "8 tini", "8 dumb-init via tini", "8 cat via tini,dumb-init",
				"10 ls via command PATH=/usr/sbin:/usr/bin:/sbin:/bin", "11 $@ (args) via exec"}, nil},
		{"sh -c, trap and eval are parsed", "sh -c 'mkdir -p /x\nchmod 1 /x'\ntrap 'rm -f $T; cleanup' EXIT\ncleanup() { :; }\n" +
			"eval run-parts \"$ARG\" x\neval \"$CMD\" y\nbusybox sh -c 'wc -l'\n",
			[]string{"1 sh", "1 mkdir via sh -c", "2 chmod via sh -c", "3 rm via trap", "5 run-parts via eval",
				"7 busybox", "7 wc via busybox sh -c"},
			[]string{"6 \"$CMD\" via eval"}},
		{"dynamic command words", "$CMD arg\n\"$dir\"/bin/run\n\"${@}\"\n${X:-ls}\n. \"$CONF\"\n",
			[]string{"3 $@ (args)"},
			[]string{"1 $CMD", "2 \"$dir\"/bin/run", "4 ${X:-ls}", "5 \"$CONF\" via ."}},
		{"sourced files", ". /lib/funcs.sh\nlog_msg hi\nfoo\nsource app\n. /missing\n",
			[]string{"1 /lib/funcs.sh (source) via .", "1 logger in /lib/funcs.sh", "3 foo PATH=/opt/bin:/usr/bin:/bin",
				"4 app (source) via source PATH=/opt/bin:/usr/bin:/bin", "5 /missing (source) via . PATH=/opt/bin:/usr/bin:/bin"}, nil},
		{"guards", "[ -x /sbin/restorecon ] && /sbin/restorecon f\nif command -v foo >/dev/null; then foo; else bar; fi\n" +
			"test -x /usr/sbin/d || exit 0\n/usr/sbin/d\n",
			[]string{"1 /sbin/restorecon guarded", "2 foo guarded", "2 bar", "4 /usr/sbin/d guarded"}, nil},
		{"exec and external wrappers run builtins as files", "f() { :; }\nexec echo hi\nenv f\nfind -exec printf x \\;\n",
			[]string{"2 echo via exec", "3 env", "3 f via env", "4 find", "4 printf via find -exec"}, nil},
		{"bash dialect", "#!/bin/bash\ndeclare -a a=(1 2)\n[[ -n $x ]] && jq .\nlocal PATH=/x\nfoo\n",
			[]string{"3 jq", "5 foo"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmds, dyn, err := Commands([]byte(tt.src), "test.sh", Options{Path: []string{"/usr/bin", "/bin"}, ReadFile: read, Dialect: "bash"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cmds {
				got = append(got, brief(c))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("commands:\n got %q\nwant %q", got, tt.want)
			}
			var gotDyn []string
			for _, d := range dyn {
				s := fmt.Sprintf("%d %s", d.Line, d.Word)
				if len(d.Via) > 0 {
					s += " via " + strings.Join(d.Via, ",")
				}
				gotDyn = append(gotDyn, s)
			}
			if !reflect.DeepEqual(gotDyn, tt.dyn) {
				t.Errorf("dynamic:\n got %q\nwant %q", gotDyn, tt.dyn)
			}
		})
	}
}

func TestCommandsLimits(t *testing.T) {
	if _, _, err := Commands([]byte("if then"), "bad.sh", Options{}); err == nil {
		t.Error("a script that does not parse gave no error")
	}
	big := []byte("#!/bin/sh\n" + strings.Repeat("x\n", 100))
	if _, _, err := Commands(big, "big.sh", Options{MaxSize: 50}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized script: %v", err)
	}
	// A file sourcing itself, and sh -c nested deeper than MaxDepth.
	loop := func(name string, path []string) (string, []byte, error) { return "/self", []byte(". /self\nls\n"), nil }
	cmds, _, err := Commands([]byte(". /self\n"), "/self0", Options{ReadFile: loop})
	if err != nil || len(cmds) != 3 {
		t.Errorf("self-sourcing: %d commands, %v", len(cmds), err)
	}
	nested := "ls"
	for i := 0; i < 8; i++ {
		nested = "sh -c " + quote(nested)
	}
	cmds, _, err = Commands([]byte(nested), "n.sh", Options{MaxDepth: 4})
	if err != nil || len(cmds) != 5 {
		t.Errorf("nested sh -c: %d commands (want the 5 shells up to depth 4), %v", len(cmds), err)
	}
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// FuzzCommands feeds arbitrary bytes after a #!/bin/sh line: no panic, and
// each file is done quickly.
func FuzzCommands(f *testing.F) {
	for _, s := range []string{"echo hi", "exec \"$@\"", "f() { g; }; f", "sh -c 'sh -c \"ls\"'", "eval eval eval x",
		"find . -exec", "xargs -n", "env -u", "timeout", "trap 'x' 0", "$(($(a)))", "cat <<EOF\n$(id)\nEOF\n", ". /x"} {
		f.Add([]byte(s))
	}
	read := func(name string, path []string) (string, []byte, error) {
		return name, []byte(". " + name + "x\n" + name + "\n"), nil
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		src := append([]byte("#!/bin/sh\n"), body...)
		var cmds []Command
		var dyn []Dynamic
		done := make(chan struct{})
		go func() {
			defer close(done)
			cmds, dyn, _ = Commands(src, "/fuzz.sh", Options{Path: []string{"/bin"}, ReadFile: read, MaxSize: 64 << 10})
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%d bytes took more than 5s: %q", len(src), src)
		}
		for _, c := range cmds {
			if c.Line < 1 {
				t.Fatalf("command %q at line %d", c.Name, c.Line)
			}
		}
		for _, d := range dyn {
			if d.Line < 1 {
				t.Fatalf("dynamic %q at line %d", d.Word, d.Line)
			}
		}
	})
}
