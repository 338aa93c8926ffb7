package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/doctor"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/text"
)

// DoctorSchema names the JSON document `whittle doctor --json` prints.
const DoctorSchema = "whittle.doctor/v1"

type doctorFlags struct {
	json   bool
	ignore []string
	env    []string
	roots  []string
}

func newDoctorCommand(g *globalFlags) *cobra.Command {
	f := &doctorFlags{}
	cmd := &cobra.Command{
		Use:   "doctor [REF]",
		Short: "Find what will break when the image runs, and the fix for each",
		Long: `doctor reads the image and its run-time closure and lists what will fail
when it runs, one line per problem with the fix to apply (a plan change or an
etc: choice): TLS libraries with no CA bundle where they look, LANG/LC_* or TZ
naming a locale or zone the image lacks, /etc/services or /etc/protocols
missing while a program looks names up in them, NSS modules nsswitch.conf
names but the image lacks, a User not in /etc/passwd, a missing HOME, no /tmp
or one not mode 1777, libraries, interpreters and links that do not resolve,
an entry point that is not executable, and image config mistakes.

Each problem has a stable id (tls/no-bundle, locale/missing, …) that
--ignore takes (an id, or a family such as tls). doctor exits 3 when an
error-level problem remains.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDoctor(cmd, g, f, imageRef(args))
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "print the problems as JSON (schema "+DoctorSchema+")")
	fl.StringSliceVar(&f.ignore, "ignore", nil, "leave out problems with this id or family (repeatable, comma-separated)")
	fl.StringArrayVar(&f.env, "env", nil, "NAME=value added to the config's Env: the environment the image will run with (repeatable)")
	fl.StringArrayVar(&f.roots, "roots", nil, "paths, packages or commands that run besides the Entrypoint and Cmd (repeatable)")
	return cmd
}

// doctorFailure reports that doctor found an error-level problem; the
// report has already been printed.
type doctorFailure struct{ errors int }

func (e *doctorFailure) Error() string { return fmt.Sprintf("%d error-level problems", e.errors) }

func runDoctor(cmd *cobra.Command, g *globalFlags, f *doctorFlags, ref string) error {
	if err := checkEnv(f.env); err != nil {
		return err
	}
	s, err := g.open(cmd.Context(), ref, cmd.ErrOrStderr(), asksFindings)
	if err != nil {
		return err
	}
	defer s.Close()
	im := s.Image()
	cl, err := g.closure(cmd.Context(), s, closure.Options{Roots: f.roots, Env: f.env})
	if err != nil {
		return err
	}
	fs, err := s.Breakage(cmd.Context(), cl, doctor.Options{Ignore: f.ignore, Env: f.env})
	if err != nil {
		return err
	}
	errs, warns, infos := finding.Count(fs)
	var out bytes.Buffer
	if f.json {
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		doc := struct {
			Schema    string            `json:"schema"`
			Reference string            `json:"reference"`
			Errors    int               `json:"errors"`
			Warnings  int               `json:"warnings"`
			Findings  []finding.Finding `json:"findings"`
		}{DoctorSchema, im.Ref.String(), errs, warns, append([]finding.Finding{}, fs...)}
		if err := enc.Encode(doc); err != nil {
			return err
		}
	} else {
		writeDoctorText(&out, fs)
		fmt.Fprintf(&out, "%s, %s, %s in %s\n", text.Count(errs, "error"), text.Count(warns, "warning"), text.Count(infos, "note"), text.Escape(im.Ref.String()))
	}
	if _, err := cmd.OutOrStdout().Write(out.Bytes()); err != nil {
		return err
	}
	if errs > 0 {
		return &doctorFailure{errors: errs}
	}
	return nil
}

// writeDoctorText prints one line per problem: severity, id, what is
// wrong, and the fix.
func writeDoctorText(out *bytes.Buffer, fs []finding.Finding) {
	for _, f := range fs {
		line := fmt.Sprintf("%-7s %s", f.Severity, f.Kind)
		if p := f.Path(); p != "" && !strings.Contains(f.Message, p) {
			line += " " + text.Escape(p)
		}
		line += ": " + text.Escape(f.Message)
		if f.Fix != "" {
			line += " — fix: " + text.EscapeGlobs(f.Fix)
		}
		out.WriteString(line + "\n")
	}
}
