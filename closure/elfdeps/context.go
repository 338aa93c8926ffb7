package elfdeps

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// ResolveIn works out what the loader maps when the process proc (a
// Resolve result) opens lib with dlopen: the objects proc already maps
// satisfy needs by the name they were loaded under or their soname, lib's
// own DT_RUNPATH or DT_RPATH apply and, as for any object loaded by the
// program, the executable's DT_RPATH. This is the context in which glibc
// loads gconv and NSS modules and an interpreter its extension modules.
// The result holds proc's objects followed by what lib brought in (from
// Start); its Deps are lib's and theirs only. A lib proc already maps
// adds nothing.
func (r *Resolver) ResolveIn(proc *Result, lib string) (*Result, error) {
	lib = imagefs.Clean(lib)
	pr := r.probe(lib)
	if pr.file == nil {
		return nil, fmt.Errorf("resolving libraries of %s: %w", lib, fs.ErrNotExist)
	}
	if pr.file.err != nil {
		return nil, fmt.Errorf("resolving libraries of %s: %w", lib, pr.file.err)
	}
	if len(proc.Objects) == 0 {
		return nil, fmt.Errorf("resolving libraries of %s: empty process", lib)
	}
	if !sameABI(pr.file.info, proc.Objects[0].Info) {
		return nil, fmt.Errorf("resolving libraries of %s: another class or machine than %s", lib, proc.Objects[0].Path)
	}
	s := &session{r: r, res: &Result{Objects: append([]Object(nil), proc.Objects...)}, byReal: map[string]int{}, interpIdx: -1}
	for i, o := range proc.Objects {
		s.byReal[o.Real] = i
		var names []string
		if i < len(proc.names) {
			names = append(names, proc.names[i]...)
		}
		s.names = append(s.names, names)
		if o.Via == ViaInterpreter {
			s.interpIdx = i
		}
	}
	s.musl = strings.HasPrefix(baseName(proc.Objects[0].Info.Interp), "ld-musl-")
	start := len(s.res.Objects)
	s.res.Start = start
	defer func() { s.res.names = s.names }()
	if _, ok := s.byReal[pr.res.Path]; ok {
		return s.res, nil
	}
	i := s.add(lib, pr, ViaPath, 0)
	s.names[i] = []string{lib}
	for j := i; j < len(s.res.Objects); j++ {
		for _, name := range s.res.Objects[j].Info.Needed {
			s.need(Needed, j, name)
		}
	}
	return s.res, nil
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
