package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/internal/text"
	planfile "github.com/whittle-dev/whittle/plan"
)

type etcFlags struct {
	list      string
	json      bool
	output    string
	fromPlan  string
	printPlan bool
	// allowMissingUser accepts users that leave out the config's User.
	allowMissingUser bool
	choices          etcgen.Flags
}

func newEtcCommand(g *globalFlags) *cobra.Command {
	f := &etcFlags{}
	cmd := &cobra.Command{
		Use:   "etc [REF]",
		Short: "Write a minimal /etc chosen from what the image offers",
		Long: `etc reads the services, protocols, CA certificates, locales, time zones and
users an image offers (falling back to built-in data where it has none) and
writes exactly the chosen ones, with nsswitch.conf, hosts and /tmp, into a
directory (-o DIR, for a Dockerfile COPY or a Nix build) or a reproducible
layer tarball (-o FILE.tar). It prints the environment the image then needs
(Dockerfile ENV lines).

  whittle etc debian:12 --list timezones
  whittle etc debian:12 --services http,https --protocols tcp,udp \
      --certificates all --locales en_US.UTF-8 --timezones Europe/Riga \
      --users root,nonroot -o rootfs-etc/

Without -o it shows what the choice would write and what each part costs.
--from-plan reads the choices from a plan file's etc: section (the flags
replace the sections they choose); --print-plan prints the choices as that
section.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEtc(cmd, g, f, imageRef(args))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.list, "list", "", "list the catalog: services, protocols, certificates, locales, timezones or users")
	fl.BoolVar(&f.json, "json", false, "print JSON")
	fl.StringVarP(&f.output, "output", "o", "", "write the files into this directory, or a layer tarball when it ends in .tar")
	fl.StringVar(&f.fromPlan, "from-plan", "", "read the choices from this plan file's etc: section")
	fl.BoolVar(&f.printPlan, "print-plan", false, "print the choices as a plan's etc: section")
	addEtcFlags(fl, &f.choices, "")
	fl.BoolVar(&f.allowMissingUser, "allow-missing-user", false, "accept --users that leave out the image config's User")
	return cmd
}

func runEtc(cmd *cobra.Command, g *globalFlags, f *etcFlags, ref string) error {
	var kind etcgen.Kind
	if f.list != "" {
		k, err := etcgen.ParseKind(f.list)
		if err != nil {
			return fmt.Errorf("--list: %w", err)
		}
		kind = k
	}
	sel, err := f.selection()
	if err != nil {
		return err
	}
	if f.printPlan && f.list == "" && f.output == "" {
		return printEtcPlan(cmd.OutOrStdout(), sel)
	}
	s, err := g.open(cmd.Context(), ref, cmd.ErrOrStderr(), asksIndex)
	if err != nil {
		return err
	}
	defer s.Close()
	im := s.Image()
	cat, err := s.Catalog(cmd.Context())
	if err != nil {
		return err
	}
	for _, b := range cat.Broken {
		fmt.Fprintf(cmd.ErrOrStderr(), "whittle: warning: %s: %s\n", ref, b)
	}
	out := cmd.OutOrStdout()
	if f.list != "" {
		rows, err := cat.Rows(kind)
		if err != nil {
			return err
		}
		return printEtcRows(out, rows, f.json)
	}
	plan, err := cat.Plan(sel)
	if err != nil {
		return err
	}
	if !f.allowMissingUser && im.Config != nil {
		if err := plan.CheckUser(im.Config.Config.User); err != nil {
			return fmt.Errorf("%w; choose it with --users, or pass --allow-missing-user", err)
		}
	}
	if f.output != "" {
		if strings.HasSuffix(f.output, ".tar") {
			err = plan.WriteTar(f.output)
		} else {
			err = plan.WriteDir(f.output)
		}
		if err != nil {
			return err
		}
	}
	if f.printPlan {
		if err := printEtcPlan(out, sel); err != nil {
			return err
		}
	}
	return printEtcOutput(out, plan, f)
}

func (f *etcFlags) selection() (etcgen.Selection, error) {
	sel, err := f.choices.Selection()
	if err != nil {
		return sel, err
	}
	if f.fromPlan == "" {
		return sel, nil
	}
	// The plan file is read as build reads it (every key checked); the
	// flags' choices replace its sections, as they do for build.
	p, err := planfile.Load(f.fromPlan)
	if err != nil {
		return sel, err
	}
	if p.Etc.IsZero() {
		return sel, fmt.Errorf("%s: no etc: section", f.fromPlan)
	}
	planfile.MergeEtc(&p.Etc, sel)
	return p.Etc, nil
}

func printEtcPlan(w io.Writer, sel etcgen.Selection) error {
	b, err := etcgen.MarshalSelection(sel)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString("etc:\n")
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		// The YAML encoder quotes control characters but lets some
		// through (NEL, the bidirectional overrides): a line holding one
		// is escaped, which keeps the terminal safe over the YAML exact.
		if !text.Safe(line) {
			line = text.Escape(line)
		}
		buf.WriteString("  " + line + "\n")
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func printEtcRows(w io.Writer, rows []etcgen.Row, asJSON bool) error {
	if asJSON {
		if rows == nil {
			rows = []etcgen.Row{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tDETAIL\tSOURCE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", text.Escape(r.Name), humanize.Bytes(uint64(r.Bytes)), text.Escape(r.Detail), text.Escape(r.Source))
	}
	return tw.Flush()
}

// etcReport is the JSON form of `whittle etc` without --list.
type etcReport struct {
	Output string            `json:"output,omitempty"`
	Files  int               `json:"files"`
	Bytes  int64             `json:"bytes"`
	Env    map[string]string `json:"env"`
	Costs  []etcgen.Cost     `json:"costs"`
}

func printEtcOutput(w io.Writer, plan *etcgen.Output, f *etcFlags) error {
	if f.json {
		env := plan.Env
		if env == nil {
			env = map[string]string{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(etcReport{Output: f.output, Files: len(plan.Files), Bytes: plan.Size(), Env: env, Costs: plan.Costs})
	}
	verb := "would write"
	if f.output != "" {
		verb = "wrote"
	}
	fmt.Fprintf(w, "# %s %d entries, %s", verb, len(plan.Files), humanize.Bytes(uint64(plan.Size())))
	if f.output != "" {
		fmt.Fprintf(w, " to %s", text.Escape(f.output))
	}
	fmt.Fprintln(w)
	// Per kind: its total, and each choice when there are few.
	byKind := map[etcgen.Kind][]etcgen.Cost{}
	var kinds []etcgen.Kind
	for _, c := range plan.Costs {
		if _, ok := byKind[c.Kind]; !ok {
			kinds = append(kinds, c.Kind)
		}
		byKind[c.Kind] = append(byKind[c.Kind], c)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range kinds {
		var total int64
		var names []string
		for _, c := range byKind[k] {
			total += c.Bytes
			if c.Name != etcgen.Overhead {
				names = append(names, text.Escape(c.Name))
			}
		}
		detail := strings.Join(names, ", ")
		if len(names) > 6 {
			detail = fmt.Sprintf("%d chosen", len(names))
		}
		fmt.Fprintf(tw, "#  %s\t%s\t%s\n", k, humanize.Bytes(uint64(total)), detail)
	}
	tw.Flush()
	for _, w2 := range plan.Warnings {
		fmt.Fprintf(w, "# warning: %s\n", text.Escape(w2.Message))
	}
	for _, kv := range plan.EnvList() {
		fmt.Fprintf(w, "ENV %s\n", text.Escape(kv))
	}
	return nil
}

// addEtcFlags declares the /etc choices (etc's --services…, build's
// --etc-services… with prefix "etc-").
func addEtcFlags(fl *pflag.FlagSet, c *etcgen.Flags, prefix string) {
	fl.StringVar(&c.Services, prefix+"services", "", "services by name or port (http,https,5432), or all")
	fl.StringVar(&c.Protocols, prefix+"protocols", "", "protocols (tcp,udp), or all")
	fl.StringVar(&c.Certificates, prefix+"certificates", "", "CA certificates: all, none, or subjects/fingerprints")
	fl.StringVar(&c.Locales, prefix+"locales", "", "locales (en_US.UTF-8,C.UTF-8); the first becomes LANG")
	fl.StringVar(&c.LocaleFormat, prefix+"locale-format", "", "archive (one locale-archive) or directories")
	fl.StringVar(&c.Timezones, prefix+"timezones", "", "time zones; the first becomes /etc/localtime and TZ")
	fl.StringVar(&c.Users, prefix+"users", "", "users: root, nobody, nonroot (the image's own, else distroless's), or NAME[:UID[:GID[:HOME[:SHELL]]]]")
	fl.StringVar(&c.Basics, prefix+"basics", "", "basic files: nsswitch,hosts,os-release,tmp (default: all but os-release unless the image has one)")
}
