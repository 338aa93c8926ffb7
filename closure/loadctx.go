package closure

import (
	"fmt"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/closure/elfdeps"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/imagefs"
)

// elfEdges resolves the libraries of every ELF object in the context of
// the process that loads it, as ld.so does. Programs (files with a
// PT_INTERP) are resolved first: their chains give the edges of every
// library they load, with DT_RPATH inherited along the chain. A library
// no program loads is one a process opens with dlopen (gconv and NSS
// modules, extension modules): it is judged in the context of each kind
// of process of the image (one per interpreter and libc), and only when
// none finds its needs is it checked on its own — then its failures are
// labelled "unloaded-library", not "missing-library".
func (b *builder) elfEdges() error {
	if len(b.elfInfo) == 0 {
		return nil
	}
	conf, err := elfdeps.LoadConfig(b.fsys)
	if err != nil {
		b.problem("missing-library", "/etc/ld.so.conf", err.Error())
	}
	r := elfdeps.NewResolver(b.fsys, conf)
	r.UseParsed(func(real string) (*elfdeps.Info, bool, error) {
		n, err := b.fsys.Node(imagefs.Name(real))
		if err != nil || n.Content == nil {
			return nil, false, nil
		}
		if info, ok := b.elfInfo[n.Content]; ok {
			return info, true, nil
		}
		if err, ok := b.elfErr[n.Content]; ok {
			return nil, true, err
		}
		return nil, false, nil
	})
	var programs, libs []string
	b.ix.Root.Walk(func(n *analyze.Node) bool {
		info := b.elfInfo[n.Content]
		if n.Content == nil || info == nil {
			return true
		}
		for _, bad := range info.Bad {
			b.problem("bad-elf", n.Path(), bad)
		}
		switch {
		// A shared object that can also be run (libc.so.6 and ld.so name
		// an interpreter and a soname) is judged as the library programs
		// load: a host libc copied into a store names a host interpreter
		// that no process of the image uses.
		case info.Interp != "" && info.Soname == "":
			programs = append(programs, n.Path())
		case info.Dynamic || info.Interp != "":
			libs = append(libs, n.Path())
		}
		return true
	})
	loaded := map[string]bool{}
	// contexts are the smallest process of each interpreter and libc.
	contexts := map[string]*elfdeps.Result{}
	for _, p := range programs {
		res, err := r.Resolve(p)
		if err != nil {
			b.problem("bad-elf", p, err.Error())
			continue
		}
		for _, o := range res.Objects[1:] {
			b.c.loads[p] = append(b.c.loads[p], o.Real)
		}
		for _, o := range res.Objects {
			loaded[o.Real] = true
		}
		b.addDeps(res, "missing-library", "")
		if len(res.Missing()) == 0 {
			key := processKey(res)
			if c, ok := contexts[key]; !ok || len(res.Objects) < len(c.Objects) {
				contexts[key] = res
			}
		}
	}
	var keys []string
	for k := range contexts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, p := range libs {
		if loaded[p] {
			continue
		}
		var best *elfdeps.Result
		for _, k := range keys {
			res, err := r.ResolveIn(contexts[k], p)
			if err != nil {
				continue
			}
			if best == nil || len(res.Missing()) < len(best.Missing()) {
				best = res
			}
			if len(res.Missing()) == 0 {
				break
			}
		}
		if best != nil && len(best.Missing()) == 0 {
			b.addDeps(best, "", "")
			continue
		}
		res, err := r.Resolve(p)
		if err != nil {
			b.problem("bad-elf", p, err.Error())
			continue
		}
		b.addDeps(res, "unloaded-library", "no program of the image links it (one may still load it at run time), and on its own it ")
	}
	return nil
}

// processKey names the kind of process a program's resolution is: its
// interpreter and libc.
func processKey(res *elfdeps.Result) string {
	var interp, libc string
	for _, o := range res.Objects {
		switch {
		case o.Via == elfdeps.ViaInterpreter:
			interp = o.Real
		case o.Info.Soname == "libc.so.6" || strings.HasPrefix(o.Info.Soname, "libc.musl") || o.Info.Soname == "libc.so":
			libc = o.Real
		}
	}
	return interp + "\x00" + libc
}

// addDeps links each object of a resolution (from Start) to what it
// needs; a need nothing satisfies is a problem of kind missing (none when
// ""), its message prefixed.
func (b *builder) addDeps(res *elfdeps.Result, missing, prefix string) {
	for _, d := range res.Deps {
		if d.From < res.Start {
			continue
		}
		from := res.Objects[d.From]
		fromNode, ok := b.nodeOf(from.Real)
		if !ok {
			continue
		}
		if d.To < 0 {
			if missing == "" {
				continue
			}
			msg := fmt.Sprintf("%sneeds %s: %s", prefix, d.Name, d.Reason)
			kind := missing
			switch {
			case d.Loop:
				kind = "symlink-loop"
			case d.Kind == elfdeps.Interpreter && missing == "missing-library":
				kind, msg = "missing-interpreter", fmt.Sprintf("interpreter %s: %s", d.Name, d.Reason)
			}
			b.problem(kind, from.Real, msg)
			continue
		}
		to := res.Objects[d.To]
		kind := graph.ELFNeeded
		if d.Kind == elfdeps.Interpreter {
			kind = graph.ELFInterpreter
		}
		b.linkChain(fromNode, to.Links, to.Real, kind)
	}
}
