package graph

import "container/heap"

// Chain is one answer to "why is this node here": a chain of edges from a
// root to the node. Nodes[0] is a root and Nodes[len-1] the node; Kinds[i]
// are the reasons Nodes[i] needs Nodes[i+1].
type Chain struct {
	Nodes []NodeID
	Kinds []EdgeKind
}

// Len returns the number of edges in the chain.
func (c Chain) Len() int { return len(c.Kinds) }

// whyBudget bounds the partial chains Why examines per chain asked for, so
// a dense graph cannot make it run for long.
const whyBudget = 20000

// Why returns up to maxChains chains from a root to the node, shortest
// first (ties in a stable order), each at most maxLen edges long and
// visiting no node twice. A chain stops at the first root it meets, so no
// chain passes through a root on the way. A root itself gets the chain of
// just itself. A node no root reaches gets none.
func (a *Analysis) Why(id NodeID, maxChains, maxLen int) []Chain {
	if maxChains <= 0 || a.dist[id] < 0 || int(a.dist[id]) > maxLen {
		return nil
	}
	// A* search backwards from the node: a partial chain runs from some
	// node v to the target, and its distance from a root is at least
	// dist[v], which orders the completed chains shortest first.
	type partial struct {
		node NodeID
		next int32 // index of the partial chain this one extends; -1 at the target
		kind EdgeKind
		g    int32
	}
	var parts []partial
	pq := &chainQueue{}
	push := func(p partial) {
		parts = append(parts, p)
		i := int32(len(parts) - 1)
		heap.Push(pq, queued{f: p.g + a.dist[p.node], seq: i})
	}
	push(partial{node: id, next: -1, g: 0})
	var out []Chain
	for budget := whyBudget * maxChains; pq.Len() > 0 && budget > 0; budget-- {
		q := heap.Pop(pq).(queued)
		p := parts[q.seq]
		if a.isRoot[p.node] {
			var c Chain
			for i := q.seq; i >= 0; i = parts[i].next {
				c.Nodes = append(c.Nodes, parts[i].node)
				if parts[i].next >= 0 {
					c.Kinds = append(c.Kinds, parts[i].kind)
				}
			}
			out = append(out, c)
			if len(out) == maxChains {
				break
			}
			continue
		}
		for _, e := range a.inEdges[a.inStart[p.node]:a.inStart[p.node+1]] {
			u := e.From
			if u == e.To || a.dist[u] < 0 || int(p.g+1+a.dist[u]) > maxLen {
				continue
			}
			onChain := false
			for i := q.seq; i >= 0; i = parts[i].next {
				if parts[i].node == u {
					onChain = true
					break
				}
			}
			if !onChain {
				push(partial{node: u, next: q.seq, kind: e.Kinds, g: p.g + 1})
			}
		}
	}
	return out
}

type queued struct {
	f   int32 // chain length so far plus the least distance still to go
	seq int32 // insertion order, for stable ties
}

type chainQueue []queued

func (q chainQueue) Len() int { return len(q) }
func (q chainQueue) Less(i, j int) bool {
	if q[i].f != q[j].f {
		return q[i].f < q[j].f
	}
	return q[i].seq < q[j].seq
}
func (q chainQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *chainQueue) Push(x any)   { *q = append(*q, x.(queued)) }
func (q *chainQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
