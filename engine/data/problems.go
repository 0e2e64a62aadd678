package data

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Problem kinds, the groups a ValidationError lists.
const (
	KindJSON       = "bad transforms json"
	KindMissing    = "missing file"
	KindImage      = "unreadable image"
	KindImageSize  = "image size mismatch"
	KindAlpha      = "torso image without alpha"
	KindLandmarks  = "bad landmarks"
	KindAU         = "bad au.csv"
	KindFeatures   = "bad audio features"
	KindPose       = "bad pose"
	KindIntrinsics = "bad intrinsics"
)

// examplesPerKind is how many problems of each kind ValidationError.Error prints before summarising.
const examplesPerKind = 6

// Problem is one defect found in a dataset directory.
type Problem struct {
	Kind   string // one of the Kind* constants
	Path   string // file, relative to the dataset directory when inside it
	Detail string // what is wrong, with the numbers involved
}

func (p Problem) String() string {
	if p.Detail == "" {
		return p.Path
	}
	return p.Path + ": " + p.Detail
}

// ValidationError lists every problem found in a dataset directory at once.
type ValidationError struct {
	Dir      string
	Problems []Problem
}

// Error groups the problems by kind, largest group first, and prints a few examples of each with a count.
func (e *ValidationError) Error() string {
	groups := map[string][]Problem{}
	var kinds []string
	for _, p := range e.Problems {
		if _, ok := groups[p.Kind]; !ok {
			kinds = append(kinds, p.Kind)
		}
		groups[p.Kind] = append(groups[p.Kind], p)
	}
	sort.SliceStable(kinds, func(i, j int) bool { return len(groups[kinds[i]]) > len(groups[kinds[j]]) })
	var b strings.Builder
	fmt.Fprintf(&b, "dataset %s: %d problem(s)", e.Dir, len(e.Problems))
	for _, k := range kinds {
		g := groups[k]
		fmt.Fprintf(&b, "\n  %s (%d):", k, len(g))
		for i, p := range g {
			if i == examplesPerKind {
				fmt.Fprintf(&b, "\n    ... and %d more%s", len(g)-examplesPerKind, tallyByFolder(g[i:]))
				break
			}
			fmt.Fprintf(&b, "\n    %s", p)
		}
	}
	return b.String()
}

// tallyByFolder counts problems per folder, e.g. " (gt_imgs/ 1527, ori_imgs/ 1533)", in first-seen order.
func tallyByFolder(ps []Problem) string {
	counts := map[string]int{}
	var order []string
	for _, p := range ps {
		d := filepath.Dir(p.Path) + "/"
		if counts[d] == 0 {
			order = append(order, d)
		}
		counts[d]++
	}
	if len(order) < 2 {
		return ""
	}
	parts := make([]string, len(order))
	for i, d := range order {
		parts[i] = fmt.Sprintf("%s %d", d, counts[d])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// problems collects Problems from concurrent validators; paths are made relative to dir.
type problems struct {
	dir  string
	mu   sync.Mutex
	list []Problem
}

func (ps *problems) add(kind, path, format string, args ...any) {
	if rel, err := filepath.Rel(ps.dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		path = rel
	}
	ps.mu.Lock()
	ps.list = append(ps.list, Problem{Kind: kind, Path: path, Detail: fmt.Sprintf(format, args...)})
	ps.mu.Unlock()
}

// err returns a *ValidationError when anything was collected, problems sorted by kind then path.
func (ps *problems) err() error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if len(ps.list) == 0 {
		return nil
	}
	list := append([]Problem(nil), ps.list...)
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Kind != list[j].Kind {
			return list[i].Kind < list[j].Kind
		}
		return naturalLess(list[i].Path, list[j].Path)
	})
	return &ValidationError{Dir: ps.dir, Problems: list}
}

// naturalLess orders "gt_imgs/9.jpg" before "gt_imgs/10.jpg": runs of digits compare by value.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
