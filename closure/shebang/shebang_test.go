package shebang

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Line
		err  error
	}{
		{"#!/bin/sh\necho", Line{"/bin/sh", "", false}, nil},
		{"#! /bin/sh -e\n", Line{"/bin/sh", "-e", true}, nil},
		{"#!/usr/bin/python3 -u -O  \t\nx", Line{"/usr/bin/python3", "-u -O", true}, nil},
		{"#!\t/bin/bash\t--norc\r\n", Line{"/bin/bash", "--norc\r", true}, nil},
		{"#!/bin/sh", Line{"/bin/sh", "", false}, ErrTruncated},
		{"#!/bin/sh -x", Line{"/bin/sh", "-x", true}, nil},
		{"#!\n", Line{}, ErrNoInterpreter},
		{"#!   \n", Line{}, ErrNoInterpreter},
		{"\x7fELF", Line{}, ErrNotScript},
		{"#", Line{}, ErrNotScript},
		{"", Line{}, ErrNotScript},
		{"#!/" + strings.Repeat("a", 300), Line{}, ErrTruncated},
		{"#!/bin/sh " + strings.Repeat("a", 300), Line{"/bin/sh", strings.Repeat("a", HeadSize-len("#!/bin/sh ")), true}, nil},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.in))
		if !errors.Is(err, tt.err) {
			t.Errorf("Parse(%q) error = %v, want %v", tt.in, err, tt.err)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestReadHead(t *testing.T) {
	head, err := ReadHead(strings.NewReader("#!/bin/sh\n" + strings.Repeat("x", 1000)))
	if err != nil || len(head) != HeadSize {
		t.Errorf("ReadHead = %d bytes, %v", len(head), err)
	}
	head, err = ReadHead(strings.NewReader("#!/bin/sh"))
	if err != nil || string(head) != "#!/bin/sh" {
		t.Errorf("ReadHead(short) = %q, %v", head, err)
	}
}

func TestParseScript(t *testing.T) {
	tests := []struct {
		in      string
		env     bool
		command string
		args    []string
		problem string
	}{
		{"#!/bin/sh\n", false, "", nil, ""},
		{"#!/usr/bin/env python3\n", true, "python3", []string{}, ""},
		{"#!/usr/bin/env python3 -u\n", true, "python3 -u", []string{}, `env gets "python3 -u" as one program name (the kernel passes one argument; use env -S)`},
		{"#!/usr/bin/env -S python3 -u -W ignore\n", true, "python3", []string{"-u", "-W", "ignore"}, ""},
		{"#!/usr/bin/env -Spython3\n", true, "python3", []string{}, ""},
		{"#!/usr/bin/env --split-string=node --max-old-space-size=4096\n", true, "node", []string{"--max-old-space-size=4096"}, ""},
		{"#!/usr/bin/env -S -i PATH=/opt/bin:/bin LANG=C.UTF-8 -u HOME perl -w\n", true, "perl", []string{"-w"}, ""},
		{`#!/usr/bin/env -S sh -c 'echo "$0"' "a b"\_c # comment` + "\n", true, "sh", []string{"-c", `echo "$0"`, "a b c"}, ""},
		{`#!/usr/bin/env -S python3 \c -u` + "\n", true, "python3", []string{}, ""},
		{"#!/usr/bin/env -S 'unterminated\n", true, "", nil, "env -S string has an unterminated single quote"},
		{"#!/usr/bin/env\n", true, "", nil, "env is given no command, so it runs the script's path as one"},
		{"#!/usr/bin/env -S -u\n", true, "", nil, "env option -u lacks its value"},
		{"#!/usr/bin/env -S --frobnicate x\n", true, "", nil, "env option --frobnicate is not understood here"},
		// One argument "A=1 bash" is an assignment; env then runs the
		// script's own path.
		{"#!/usr/bin/env A=1 bash\n", true, "", nil, "env is given no command, so it runs the script's path as one"},
		{"#!/bin/env -S -- bash\n", true, "bash", []string{}, ""},
	}
	for _, tt := range tests {
		s, err := ParseScript([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseScript(%q): %v", tt.in, err)
			continue
		}
		args := s.Args
		if args == nil && tt.args != nil && len(tt.args) == 0 {
			args = []string{}
		}
		if s.Env != tt.env || s.Command != tt.command || !reflect.DeepEqual(args, tt.args) || s.Problem != tt.problem {
			t.Errorf("ParseScript(%q) = env %v command %q args %q problem %q; want %v %q %q %q",
				tt.in, s.Env, s.Command, s.Args, s.Problem, tt.env, tt.command, tt.args, tt.problem)
		}
	}
	if _, err := ParseScript([]byte("\x7fELF")); !errors.Is(err, ErrNotScript) {
		t.Errorf("ParseScript(ELF) error = %v", err)
	}
}

func TestSplitPath(t *testing.T) {
	if got, want := SplitPath("/usr/local/bin::/usr/bin:"), []string{"/usr/local/bin", "/usr/bin"}; !reflect.DeepEqual(got, want) {
		t.Errorf("SplitPath = %q, want %q", got, want)
	}
}

func image() fstest.MapFS {
	return fstest.MapFS{
		"bin":                   {Mode: fs.ModeSymlink | 0o777, Data: []byte("usr/bin")},
		"usr/bin/env":           {Mode: 0o755, Data: []byte("\x7fELF")},
		"usr/bin/python3":       {Mode: fs.ModeSymlink | 0o777, Data: []byte("python3.11")},
		"usr/bin/python3.11":    {Mode: 0o755, Data: []byte("\x7fELF")},
		"usr/local/bin/python3": {Mode: 0o644, Data: []byte("not executable")},
		"opt/app/bin":           {Mode: fs.ModeDir | 0o755},
		"usr/bin/sh":            {Mode: 0o755, Data: []byte("\x7fELF")},
	}
}

func TestResolve(t *testing.T) {
	fsys := image()
	path := []string{"/usr/local/bin", "/opt/app/bin", "relative", "/bin"}
	script := func(line string) *Script {
		s, err := ParseScript([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		line string
		want Result
	}{
		{"#!/bin/sh\n", Result{Interpreter: &Target{"/bin/sh", "/usr/bin/sh", []string{"/bin"}}}},
		{"#!/usr/bin/env python3\n", Result{
			Interpreter: &Target{"/usr/bin/env", "/usr/bin/env", nil},
			// /usr/local/bin/python3 is not executable: skipped, as execvp does.
			Command: &Target{"/bin/python3", "/usr/bin/python3.11", []string{"/bin", "/usr/bin/python3"}},
		}},
		{"#!/usr/bin/env python3 -u\n", Result{
			Interpreter: &Target{"/usr/bin/env", "/usr/bin/env", nil},
			Missing:     []string{`env gets "python3 -u" as one program name (the kernel passes one argument; use env -S)`},
		}},
		{"#!/usr/bin/env -S /usr/bin/python3 -u\n", Result{
			Interpreter: &Target{"/usr/bin/env", "/usr/bin/env", nil},
			Command:     &Target{"/usr/bin/python3", "/usr/bin/python3.11", []string{"/usr/bin/python3"}},
		}},
		{"#!/usr/bin/env ruby\n", Result{
			Interpreter: &Target{"/usr/bin/env", "/usr/bin/env", nil},
			Missing:     []string{"command ruby: not found in PATH /usr/local/bin:/opt/app/bin:relative:/bin"},
		}},
		{"#!/usr/local/bin/python3\n", Result{Missing: []string{"interpreter /usr/local/bin/python3: not executable"}}},
		{"#!/opt/app/bin\n", Result{Missing: []string{"interpreter /opt/app/bin: not a regular file"}}},
		{"#!/nix/store/x-bash/bin/bash\n", Result{Missing: []string{"interpreter /nix/store/x-bash/bin/bash: not found"}}},
		{"#!python\n", Result{Missing: []string{"interpreter python: a relative path depends on the working directory"}}},
	}
	for _, tt := range tests {
		got := Resolve(fsys, script(tt.line), path)
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("Resolve(%q) =\n%+v %+v\nwant\n%+v %+v", tt.line, got, got.Command, tt.want, tt.want.Command)
		}
	}
}

func FuzzParseScript(f *testing.F) {
	f.Add([]byte("#!/usr/bin/env -S sh -c 'x' \"y\\_z\" \\c"))
	f.Add([]byte("#!/bin/sh -e\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseScript(data)
		if err == nil && (s == nil || s.Interpreter == "") {
			t.Fatalf("ParseScript(%q) = %+v without error", data, s)
		}
	})
}
