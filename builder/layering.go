package builder

import (
	"fmt"
	"sort"
)

// Layering strategies.
const (
	// Single puts every file in one layer.
	Single = "single"
	// Popularity gives each group (store path, package) its own layer,
	// the most depended-on first, up to Max layers; the rest share the
	// last one.
	Popularity = "popularity"
)

// DefaultMaxLayers is the layer budget of the popularity strategy: that of
// nixpkgs' buildLayeredImage.
const DefaultMaxLayers = 100

// Group is a set of files that belong together in a layer: a Nix store
// path, a package, or loose files. Needs names the groups it depends on.
type Group struct {
	Name  string
	Needs []string
	// Bytes is the size of the group's files, for ordering ties.
	Bytes int64
}

// PopularityOrder orders groups as nixpkgs' referencesByPopularity does:
// a group's popularity is the number of groups whose closure holds it
// (itself included), so what many others need comes first and lands in a
// layer of its own that images sharing it share too. Ties: larger first,
// then by name. Needs naming unknown groups are ignored; cycles are fine.
func PopularityOrder(groups []Group) []string {
	index := make(map[string]int, len(groups))
	for i, g := range groups {
		index[g.Name] = i
	}
	adj := make([][]int, len(groups))
	for i, g := range groups {
		for _, n := range g.Needs {
			if j, ok := index[n]; ok && j != i {
				adj[i] = append(adj[i], j)
			}
		}
	}
	pop := make([]int, len(groups))
	seen := make([]int, len(groups))
	for i := range seen {
		seen[i] = -1
	}
	var stack []int
	for i := range groups {
		// Every group reachable from i (i included) gains one.
		stack = append(stack[:0], i)
		seen[i] = i
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			pop[v]++
			for _, w := range adj[v] {
				if seen[w] != i {
					seen[w] = i
					stack = append(stack, w)
				}
			}
		}
	}
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ga, gb := groups[order[a]], groups[order[b]]
		if pop[order[a]] != pop[order[b]] {
			return pop[order[a]] > pop[order[b]]
		}
		if ga.Bytes != gb.Bytes {
			return ga.Bytes > gb.Bytes
		}
		return ga.Name < gb.Name
	})
	names := make([]string, len(order))
	for i, o := range order {
		names[i] = groups[o].Name
	}
	return names
}

// Plan assigns groups to layers: Single gives one layer of all groups;
// Popularity one layer per group in popularity order, the groups past
// max-1 sharing the last layer. max <= 0 means DefaultMaxLayers. The
// result lists each layer's groups.
func Plan(strategy string, max int, groups []Group) ([][]string, error) {
	if len(groups) == 0 {
		return nil, nil
	}
	switch strategy {
	case "", Single:
		all := make([]string, len(groups))
		for i, g := range groups {
			all[i] = g.Name
		}
		sort.Strings(all)
		return [][]string{all}, nil
	case Popularity:
	default:
		return nil, fmt.Errorf("layering strategy %q: want %s or %s", strategy, Single, Popularity)
	}
	if max <= 0 {
		max = DefaultMaxLayers
	}
	order := PopularityOrder(groups)
	var layers [][]string
	for i, name := range order {
		if i < max-1 || max == 1 && i == 0 {
			layers = append(layers, []string{name})
			continue
		}
		if len(layers) < max {
			layers = append(layers, nil)
		}
		layers[len(layers)-1] = append(layers[len(layers)-1], name)
	}
	return layers, nil
}
