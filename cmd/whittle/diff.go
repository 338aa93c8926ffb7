package main

import (
	"bytes"
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/whittle-dev/whittle/builder/diff"
)

type diffFlags struct {
	json bool
}

func newDiffCommand(g *globalFlags) *cobra.Command {
	f := &diffFlags{}
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "List the files added, removed and changed from image A to image B",
		Long: `diff opens and indexes two images and compares their final file systems
path by path: files added (+), removed (-) and changed (~: content, size,
mode, owner, link target or type), with sizes and totals.

  whittle diff docker-archive:app.tar oci:min
  whittle diff app:1 app:2 --json      # schema whittle.diff/v1, docs/diff-json.md`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd, g, f, args[0], args[1])
		},
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON (schema whittle.diff/v1, see docs/diff-json.md)")
	return cmd
}

func runDiff(cmd *cobra.Command, g *globalFlags, f *diffFlags, refA, refB string) error {
	imA, a, err := g.openAndIndex(cmd.Context(), refA, cmd.ErrOrStderr(), asksIndex)
	if err != nil {
		return err
	}
	defer imA.Close()
	imB, b, err := g.openAndIndex(cmd.Context(), refB, cmd.ErrOrStderr(), asksIndex)
	if err != nil {
		return err
	}
	defer imB.Close()
	r := diff.Compare(a, b)
	var out bytes.Buffer
	if f.json {
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(diff.ToJSON(refA, refB, r)); err != nil {
			return err
		}
	} else if err := diff.WriteText(&out, r); err != nil {
		return err
	}
	_, err = cmd.OutOrStdout().Write(out.Bytes())
	return err
}
