package tui

import (
	"context"
	"errors"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/session"
)

// The plan estimate is the plan's evaluation (session.Evaluate), the very
// selection a build writes: this file only marks the merged tree with
// it, and asks for it again in the background when the plan changes.

// markReach records, on each file of the merged tree, whether a root of
// the closure reaches it.
func markReach(root *fnode, cl *closure.Closure) {
	var walk func(n *fnode)
	walk = func(n *fnode) {
		if !n.dir {
			id, ok := cl.Owner(n.full)
			n.reach = ok && cl.Analysis.Reachable(id)
			return
		}
		n.reach = false
		for _, c := range n.children {
			walk(c)
			n.reach = n.reach || c.reach
		}
	}
	walk(root)
}

// markEvaluation marks every node of the merged tree kept or dropped as
// the evaluation decided: kept when the result holds it; dropped when a
// drop pattern (the plan's, or an applied finding's) leaves it out.
func markEvaluation(root *fnode, ev *session.Evaluation) {
	var walk func(n *fnode) int64
	walk = func(n *fnode) int64 {
		n.dropped = n.parent != nil && ev.Dropped(n.full)
		n.kept = n.parent == nil || ev.Selection.Holds(n.full)
		if !n.dir {
			n.keptBytes = 0
			if n.kept {
				n.keptBytes = n.bytes
			}
			return n.keptBytes
		}
		var sum int64
		for _, c := range n.children {
			sum += walk(c)
		}
		n.keptBytes = sum
		return sum
	}
	walk(root)
}

type (
	// estimateMsg carries the evaluation of plan generation gen.
	estimateMsg struct {
		id, gen int
		ev      *session.Evaluation
		err     error
	}
)

// evaluate asks for the evaluation of the plan as it is now, cancelling
// the one in flight (its answer would be stale).
func (m *Model) evaluate() tea.Cmd {
	if m.data == nil || m.data.sess == nil || m.data.im == nil {
		return nil
	}
	if m.estCancel != nil {
		m.estCancel()
	}
	ctx, cancel := context.WithCancel(m.ctx)
	m.estCancel = cancel
	m.estBusy = true
	s, p, id, gen := m.data.sess, m.plan.Clone(), m.loadID, m.estGen
	return func() tea.Msg {
		ev, err := s.Evaluate(ctx, p, session.EvalOptions{})
		return estimateMsg{id: id, gen: gen, ev: ev, err: err}
	}
}

// setEstimate shows an evaluation of the plan.
func (m *Model) setEstimate(msg estimateMsg) {
	if msg.id != m.loadID || msg.gen != m.estGen || m.data == nil {
		return
	}
	m.estBusy = false
	if msg.err != nil {
		if m.ctx.Err() == nil && !errors.Is(msg.err, context.Canceled) {
			m.estErr = msg.err
			note := "plan: " + msg.err.Error()
			if strings.HasPrefix(msg.err.Error(), "roots:") {
				// The remedy first: the reason is long.
				note = "plan: no roots; r on the Closure pane picks one, d on Files keeps paths · " + msg.err.Error()
			}
			m.setNote(note, true)
		}
		return
	}
	before, had := m.estimate, m.estKnown
	m.ev, m.estErr = msg.ev, nil
	markEvaluation(m.data.merged, msg.ev)
	m.estimate, m.estKnown = msg.ev.Selection.Totals.FileBytes, true
	m.tree.planMarks = true
	// The edit's note gets the estimate's move, unless something else
	// has been said since (a question must not be overwritten).
	if m.estNote != "" && m.note == oneLine(m.estNote+estimatingSuffix) {
		delta := "0 B"
		if had {
			delta = signedBytes(m.estimate - before)
		}
		m.setNote(m.estNote+" · estimate "+delta, false)
	}
	m.estNote = ""
}
