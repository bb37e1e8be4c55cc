"""Exact maximum-weight matching in a general graph, fast on the graphs matching produces.

Objective and algorithm
-----------------------
``match`` returns a matching of maximum total score among all matchings that respect the hard
constraints; among those of maximum score it returns one with the most pairs. Scores are quantised
to 1e-4 (the precision ``Pair.score`` reports) and each pair's integer weight is
``score_units * K + 1`` with ``K`` above the largest possible number of pairs, so "more score first,
then more pairs" is one exact integer objective.

"either" people make the compatibility graph non-bipartite (an "either" person can sit on both
sides of a triangle), so this is maximum-weight matching in a general graph, where deciding the
sides of "either" people one by one (or greedily) can be wrong. It is solved exactly, with
compiled SciPy code doing the heavy lifting:

1. Relaxation. The fractional matching LP (degree constraints only) equals an assignment problem
   on the bipartite double cover of the graph (everyone once on each side, the diagonal meaning
   "single"). SciPy's sparse LAPJV solves it; exact dual potentials come from Bellman-Ford on
   the residual graph of the optimal assignment.
2. Speed. That solver is slow on dense graphs with many distinct costs, so the LP is solved on a
   sparse support: first with coarse weights (0.1 of score) on each person's best edges, adding
   each person's most violated edges until the duals hold on every edge; then with exact weights
   on the edges near tight only, while every other edge is covered by a per-person "outside
   option" taken from the coarse duals, which keeps the exact duals valid on the whole graph.
3. Warm start. The assignment's 2-cycles and halves of its even cycles become tight matched
   edges; an odd cycle (the only way the relaxation can be fractional) keeps all but one vertex
   matched. Only the few vertices left single with a positive dual violate optimality.
4. Blossom repair. Edmonds' primal-dual blossom algorithm (after Galil and van Rantwijk), started
   from these duals and this matching, grows alternating trees from the violating vertices only,
   with neighbourhood scans vectorised by numpy. A stage ends when a root is matched, its dual
   reaches zero, or the root passes its exposure along an even alternating path to a vertex
   whose dual reached zero. Integer arithmetic keeps every step exact (all roots share a parity,
   so every dual change is an integer).
5. Certificate. The loop stops only when the duals satisfy every allowed pair of the whole graph,
   every exposed vertex has zero dual, every matched edge is tight and every positive blossom
   dual sits on a full blossom: Edmonds' optimality conditions for the matching polytope. Any
   violated pair joins the support and steps 2-4 repeat.

So the result is provably optimal for the quantised scores, never a heuristic; the staging only
decides how fast it gets there. Adversarial inputs can make the support grow (and the run slow
down), never the answer change.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

_CHUNK = 1 << 20  # edges per pass over the full edge list
SUPPORT_DEGREE = 10  # best edges per person in the first sparse support
COARSE_UNITS = 1000  # coarse weights resolve 0.1 of score (scores are in units of 1e-4)
NEAR_LEVELS = 4  # exact weights are solved on edges this many coarse levels from tight


def _chunks(size: int) -> Iterator[slice]:
    """Slices for passes over all edges: small temporaries are reused instead of page-faulted."""
    for start in range(0, size, _CHUNK):
        yield slice(start, start + _CHUNK)


# --------------------------------------------------------------------------------------------
# Exact maximum-weight matching: LP warm start, then Edmonds' blossom repair.
# --------------------------------------------------------------------------------------------


def _lp_warm_start(graph: sparse.csr_matrix, outside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Optimal fractional matching via the double cover; returns (mate, duals as 4·y).

    ``outside[v]`` is what staying single is worth to v, so every dual ends at least that high.
    The duals are integers in the blossom convention (4·y against blossom weights 2·W): tightness
    stays exact.
    """
    n = graph.shape[0]
    big = max(int(graph.data.max(initial=0)), 2 * int(outside.max(initial=0))) + 1
    cost = sparse.csr_matrix(
        (big - graph.data.astype(np.float64), graph.indices, graph.indptr), shape=graph.shape
    )
    cost = (cost + sparse.diags((big - 2 * outside).astype(np.float64), format="csr")).tocsr()
    cost.sort_indices()
    rows, cols = min_weight_full_bipartite_matching(cost)
    assign = np.empty(n, np.int64)
    assign[rows] = cols
    # Column potentials b: shortest paths in the residual graph (arc assign[i] -> j of length
    # c_ij - c_i,assign[i]); no negative cycle exists because the assignment is optimal.
    row_of = np.repeat(np.arange(n), np.diff(cost.indptr))
    matched_cost = cost.data[cost.indices == assign[row_of]]
    by_col = cost.tocsc()
    by_col.sort_indices()
    src = assign[by_col.indices]
    length = by_col.data - matched_cost[by_col.indices]
    dist = np.zeros(n)
    for _ in range(n + 1):
        relaxed = np.minimum(dist, np.minimum.reduceat(dist[src] + length, by_col.indptr[:-1]))
        if np.array_equal(relaxed, dist):
            break
        dist = relaxed
    else:  # pragma: no cover - would mean the assignment solver returned a non-optimum
        raise RuntimeError("assignment duals did not converge")
    row_pot = matched_cost - dist[assign]
    dual = (2 * (big - row_pot - dist)).astype(np.int64)
    mate = np.full(n, -1, np.int64)
    seen = np.zeros(n, bool)
    for start in range(n):
        if seen[start]:
            continue
        cycle = [start]
        seen[start] = True
        while (nxt := int(assign[cycle[-1]])) != start:
            cycle.append(nxt)
            seen[nxt] = True
        # Pairs along the cycle; an odd cycle leaves its first vertex exposed.
        for a, b in zip(cycle[len(cycle) % 2 :: 2], cycle[len(cycle) % 2 + 1 :: 2], strict=True):
            mate[a], mate[b] = b, a
    return mate, dual


class Blossom:
    """Edmonds' primal-dual weighted matching on a sparse graph, warm-started.

    Structure follows van Rantwijk's implementation (as in networkx): blossom ids ``n..2n-1``,
    ``label`` 1 = S and 2 = T for top-level blossoms (and "reached" marks for vertices inside
    T-blossoms), ``dual`` holds 2·(vertex dual) against the weights given here. Differences: the
    stage roots are only the exposed vertices with a positive dual (their duals differ, so a
    delta-1 event either zeroes a root or flips an even path to the S-vertex that reached zero);
    slack bookkeeping is vectorised per scanned vertex; S-S edges sit in a lazily pruned heap.
    """

    def __init__(
        self, graph: sparse.csr_matrix, weights: np.ndarray, mate: np.ndarray, dual: np.ndarray
    ) -> None:
        n = graph.shape[0]
        self.n = n
        self.indptr, self.indices, self.weights = graph.indptr, graph.indices, weights
        self.mate, self.dual = mate, dual
        self.inblossom = np.arange(n)
        self.label = np.zeros(2 * n, np.int8)
        self.label_from = [-1] * (2 * n)
        self.label_to = [-1] * (2 * n)
        self.parent = [-1] * (2 * n)
        self.base = list(range(n)) + [-1] * n
        self.childs: list[list[int]] = [[] for _ in range(2 * n)]
        self.edges: list[list[tuple[int, int]]] = [[] for _ in range(2 * n)]
        self.blossom_dual = [0] * (2 * n)
        self.unused = list(range(2 * n - 1, n - 1, -1))
        self.top_blossoms: set[int] = set()  # non-trivial top-level blossoms
        self.best_from = np.full(n, -1, np.int64)  # least-slack edge from an S-vertex
        self.best_weight = np.zeros(n, np.int64)
        self.queue: list[int] = []

    def solve(self) -> np.ndarray:
        while True:
            roots = np.flatnonzero((self.mate < 0) & (self.dual > 0))
            if not len(roots):
                return self.mate
            self._stage(roots)

    def violated(
        self, a: np.ndarray, b: np.ndarray, units: np.ndarray, per_pair: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Edges a-b (weights ``units * per_pair + 1``) whose dual constraint fails, and by how
        much, counting the duals of blossoms that hold both ends."""
        idx, short = _violations(self.dual, a, b, (units, 1, per_pair))
        inside = np.flatnonzero(self.inblossom[a[idx]] == self.inblossom[b[idx]])
        if len(inside):
            # Each vertex's enclosing blossoms top down with running dual sums (a table padded
            # with -1, the sums with their last value): the blossoms both ends share are the
            # common prefix of their two rows, padding included when the rows are equal.
            lines = [self._ancestors(v)[::-1] for v in range(self.n)]
            depth = max(map(len, lines))
            table = np.full((self.n, depth), -1, np.int64)
            sums = np.zeros((self.n, depth), np.int64)
            for v, line in enumerate(lines):
                if line:
                    running = list(itertools.accumulate(self.blossom_dual[x] for x in line))
                    table[v, : len(line)] = line
                    sums[v] = running[-1]
                    sums[v, : len(line)] = running
            for sl in _chunks(len(inside) * depth):
                part = inside[sl.start // depth : sl.stop // depth]
                ea, eb = a[idx[part]], b[idx[part]]
                common = np.logical_and.accumulate(table[ea] == table[eb], axis=1).sum(axis=1)
                short[part] -= 2 * sums[ea, common - 1]  # same top-level blossom: common >= 1
        return idx[short > 0], short[short > 0]

    def _ancestors(self, v: int) -> list[int]:
        chain = []
        while self.parent[v] >= 0:
            v = self.parent[v]
            chain.append(v)
        return chain

    # -- a stage: grow trees until one root is resolved ------------------------------------

    def _stage(self, roots: np.ndarray) -> None:
        self.label[:] = 0
        self.label_from = [-1] * (2 * self.n)
        self.label_to = [-1] * (2 * self.n)
        self.best_from[:] = -1
        self.ss_heap: list[tuple[int, int]] = []
        self.ss_lists: list[tuple[int, np.ndarray, np.ndarray, list[int]]] = []
        self.shift = 0  # sum of deltas this stage; S-S heap keys are slack + 2 * shift
        self.queue = []
        for r in roots:
            if self.label[self.inblossom[r]] == 0:
                self._assign_label(int(r), 1, -1)
        while not self._grow():
            vlabel = self.label[self.inblossom]
            delta, kind, arg = self._delta(vlabel)
            self.dual[vlabel == 1] -= delta
            self.dual[vlabel == 2] += delta
            for b in self.top_blossoms:
                if self.label[b] == 1:
                    self.blossom_dual[b] += delta
                elif self.label[b] == 2:
                    self.blossom_dual[b] -= delta
            self.shift += delta
            if kind == 1:
                self._flip(arg)
                break
            if kind == 4:
                self._expand(arg, endstage=False)
            elif self._tight(*arg):
                break
        for b in sorted(self.top_blossoms):
            if b in self.top_blossoms and self.label[b] == 1 and self.blossom_dual[b] == 0:
                self._expand(b, endstage=True)

    def _grow(self) -> bool:
        """Scan queued S-vertices; True once the matching changed."""
        while self.queue:
            if self._scan(self.queue.pop()):
                return True
        return False

    def _delta(self, vlabel: np.ndarray) -> tuple[int, int, Any]:
        s_vertices = np.flatnonzero(vlabel == 1)
        k = int(np.argmin(self.dual[s_vertices]))
        best: tuple[int, int, Any] = (int(self.dual[s_vertices[k]]), 1, int(s_vertices[k]))
        free = np.flatnonzero((vlabel == 0) & (self.best_from >= 0))
        if len(free):
            frm = self.best_from[free]
            slack = self.dual[frm] + self.dual[free] - 2 * self.best_weight[free]
            k = int(np.argmin(slack))
            if slack[k] < best[0]:
                best = (int(slack[k]), 2, (int(frm[k]), int(free[k])))
        edge = self._least_ss_edge()
        if edge is not None and edge[0] < best[0]:
            best = (edge[0], 3, edge[1])
        for b in sorted(self.top_blossoms):
            if self.label[b] == 2 and self.blossom_dual[b] < best[0]:
                best = (self.blossom_dual[b], 4, b)
        return best

    def _least_ss_edge(self) -> tuple[int, tuple[int, int]] | None:
        """Half the slack of the tightest edge between two different S-blossoms (delta 3)."""
        heap = self.ss_heap
        while heap:
            key, k = heap[0]
            v, ws, keys, pos = self.ss_lists[k]
            w = int(ws[pos[0]])
            if self.inblossom[v] != self.inblossom[w]:
                slack = key - 2 * self.shift
                return slack // 2, (v, w)
            pos[0] += 1
            if pos[0] < len(ws):
                heapq.heapreplace(heap, (int(keys[pos[0]]), k))
            else:
                heapq.heappop(heap)
        return None

    def _scan(self, v: int) -> bool:
        lo, hi = self.indptr[v], self.indptr[v + 1]
        nb, wt = self.indices[lo:hi], self.weights[lo:hi]
        bnb = self.inblossom[nb]
        outside = bnb != self.inblossom[v]
        nb, wt, bnb = nb[outside], wt[outside], bnb[outside]
        slack = self.dual[v] + self.dual[nb] - 2 * wt
        lab = self.label[bnb]
        tight = slack == 0
        to_s = (lab == 1) & ~tight
        if to_s.any():
            order = np.argsort(slack[to_s], kind="stable")
            keys = slack[to_s][order] + 2 * self.shift
            self.ss_lists.append((v, nb[to_s][order], keys, [0]))
            heapq.heappush(self.ss_heap, (int(keys[0]), len(self.ss_lists) - 1))
        other = (lab != 1) & ~tight
        targets, cand = nb[other], slack[other]
        frm = self.best_from[targets]
        current = self.dual[frm] + self.dual[targets] - 2 * self.best_weight[targets]
        better = (frm < 0) | (cand < current)
        self.best_from[targets[better]] = v
        self.best_weight[targets[better]] = wt[other][better]
        return any(self._tight(v, int(w)) for w in nb[tight])

    def _tight(self, v: int, w: int) -> bool:
        """Use tight edge v-w from S-vertex v; True when the matching changed."""
        bv, bw = self.inblossom[v], self.inblossom[w]
        if bv == bw:
            return False
        if self.label[bw] == 0:
            if self.mate[self.base[bw]] < 0:  # exposed vertex with zero dual: augment to it
                self._augment_side(v, w)
                if bw >= self.n:
                    self._augment_blossom(bw, w)
                self.mate[w] = v
                return True
            self._assign_label(w, 2, v)
        elif self.label[bw] == 1:
            base = self._scan_blossom(v, w)
            if base < 0:
                self._augment_side(v, w)
                self._augment_side(w, v)
                return True
            self._add_blossom(base, v, w)
        elif self.label[w] == 0:
            self.label[w] = 2
            self.label_from[w], self.label_to[w] = v, w
        return False

    # -- labels and blossoms ---------------------------------------------------------------

    def _leaves(self, b: int) -> list[int]:
        if b < self.n:
            return [b]
        out, stack = [], [b]
        while stack:
            t = stack.pop()
            if t < self.n:
                out.append(t)
            else:
                stack.extend(self.childs[t])
        return out

    def _assign_label(self, w: int, t: int, v: int) -> None:
        b = int(self.inblossom[w])
        self.label[w] = self.label[b] = t
        self.label_from[w] = self.label_from[b] = v
        self.label_to[w] = self.label_to[b] = w if v >= 0 else -1
        if t == 1:  # b is top-level: its leaves are the vertices it holds
            self.queue.extend(np.flatnonzero(self.inblossom == b).tolist() if b >= self.n else [b])
        else:
            base = self.base[b]
            self._assign_label(int(self.mate[base]), 1, base)

    def _scan_blossom(self, v: int, w: int) -> int:
        """Trace back from v and w; the base of a new blossom, or -1 for an augmenting path."""
        path, base = [], -1
        while v >= 0:
            b = int(self.inblossom[v])
            if self.label[b] & 4:
                base = self.base[b]
                break
            path.append(b)
            self.label[b] = 5
            if self.label_from[b] < 0:
                v = -1
            else:
                v = self.label_from[self.inblossom[self.label_from[b]]]
            if w >= 0:
                v, w = w, v
        for b in path:
            self.label[b] = 1
        return base

    def _add_blossom(self, base: int, v: int, w: int) -> None:
        bb, bv, bw = (int(self.inblossom[x]) for x in (base, v, w))
        b = self.unused.pop()
        self.base[b], self.parent[b], self.parent[bb] = base, -1, b
        path, edges = [], [(v, w)]
        while bv != bb:
            self.parent[bv] = b
            path.append(bv)
            edges.append((self.label_from[bv], self.label_to[bv]))
            bv = int(self.inblossom[self.label_from[bv]])
        path.append(bb)
        path.reverse()
        edges.reverse()
        while bw != bb:
            self.parent[bw] = b
            path.append(bw)
            edges.append((self.label_to[bw], self.label_from[bw]))
            bw = int(self.inblossom[self.label_from[bw]])
        self.childs[b], self.edges[b] = path, edges
        self.label[b] = 1
        self.label_from[b], self.label_to[b] = self.label_from[bb], self.label_to[bb]
        self.blossom_dual[b] = 0
        # The children were top-level, so their leaves are found by one vectorised lookup.
        leaves = np.flatnonzero(np.isin(self.inblossom, path))
        self.queue.extend(leaves[self.label[self.inblossom[leaves]] == 2].tolist())
        self.inblossom[leaves] = b
        self.top_blossoms.difference_update(path)
        self.top_blossoms.add(b)

    def _expand(self, b: int, endstage: bool) -> None:
        stack = [self._expand_steps(b, endstage)]
        while stack:
            nested = next(stack[-1], None)
            if nested is None:
                stack.pop()
            else:
                stack.append(self._expand_steps(nested, endstage))

    def _expand_steps(self, b: int, endstage: bool) -> Iterator[int]:
        self.top_blossoms.discard(b)
        for s in self.childs[b]:
            self.parent[s] = -1
            if s < self.n:
                self.inblossom[s] = s
            elif endstage and self.blossom_dual[s] == 0:
                yield s
            else:
                self.inblossom[self._leaves(s)] = s
                self.top_blossoms.add(s)
        if not endstage and self.label[b] == 2:
            self._relabel_expanded_t(b)
        self.label[b] = 0
        self.label_from[b] = self.label_to[b] = -1
        self.childs[b], self.edges[b] = [], []
        self.base[b] = -1
        self.unused.append(b)

    def _relabel_expanded_t(self, b: int) -> None:
        """Relabel the children of an expanded T-blossom along the path to its base."""
        childs, edges = self.childs[b], self.edges[b]
        entry = int(self.inblossom[self.label_to[b]])
        j = childs.index(entry)
        if j & 1:
            j -= len(childs)
            step = 1
        else:
            step = -1
        v, w = self.label_from[b], self.label_to[b]
        while j != 0:
            q = edges[j][1] if step == 1 else edges[j - 1][0]
            self.label[w] = self.label[q] = 0
            self._assign_label(w, 2, v)
            j += step
            v, w = edges[j] if step == 1 else edges[j - 1][::-1]
            j += step
        bw = childs[j]
        self.label[w] = self.label[bw] = 2
        self.label_from[w] = self.label_from[bw] = v
        self.label_to[w] = self.label_to[bw] = w
        j += step
        while childs[j] != entry:
            bv = childs[j]
            j += step
            if self.label[bv] == 1:
                continue
            reached = [x for x in self._leaves(bv) if self.label[x]]
            if reached:
                x = reached[0]
                self.label[x] = 0
                self.label[self.mate[self.base[bv]]] = 0
                self._assign_label(x, 2, self.label_from[x])

    # -- changing the matching -------------------------------------------------------------

    def _augment_blossom(self, b: int, v: int) -> None:
        stack = [self._augment_steps(b, v)]
        while stack:
            nested = next(stack[-1], None)
            if nested is None:
                stack.pop()
            else:
                stack.append(self._augment_steps(*nested))

    def _augment_steps(self, b: int, v: int) -> Iterator[tuple[int, int]]:
        """Swap matched and unmatched edges inside b so that v becomes its base."""
        t = v
        while self.parent[t] != b:
            t = self.parent[t]
        if t >= self.n:
            yield t, v
        childs, edges = self.childs[b], self.edges[b]
        i = j = childs.index(t)
        if i & 1:
            j -= len(childs)
            step = 1
        else:
            step = -1
        while j != 0:
            j += step
            w, x = edges[j] if step == 1 else edges[j - 1][::-1]
            if childs[j] >= self.n:
                yield childs[j], w
            j += step
            if childs[j] >= self.n:
                yield childs[j], x
            self.mate[w], self.mate[x] = x, w
        self.childs[b] = childs[i:] + childs[:i]
        self.edges[b] = edges[i:] + edges[:i]
        self.base[b] = self.base[self.childs[b][0]]

    def _augment_side(self, s: int, j: int) -> None:
        """Match S-vertex s to j and flip the alternating path from s back to its root."""
        while True:
            bs = int(self.inblossom[s])
            if bs >= self.n:
                self._augment_blossom(bs, s)
            self.mate[s] = j
            if self.label_from[bs] < 0:
                return
            bt = int(self.inblossom[self.label_from[bs]])
            s, j = self.label_from[bt], self.label_to[bt]
            if bt >= self.n:
                self._augment_blossom(bt, j)
            self.mate[j] = s

    def _flip(self, s: int) -> None:
        """S-vertex s reached zero dual: expose it and match its root along the tree path."""
        bs = int(self.inblossom[s])
        if bs >= self.n:
            self._augment_blossom(bs, s)
        self.mate[s] = -1
        if self.label_from[bs] < 0:
            return
        bt = int(self.inblossom[self.label_from[bs]])
        s2, j = self.label_from[bt], self.label_to[bt]
        if bt >= self.n:
            self._augment_blossom(bt, j)
        self.mate[j] = s2
        self._augment_side(s2, j)


def support_graph(n: int, a: np.ndarray, b: np.ndarray, data: np.ndarray) -> sparse.csr_matrix:
    """Symmetric CSR graph (sorted indices) of the undirected edges a-b."""
    graph = sparse.csr_matrix(
        (np.concatenate([data, data]), (np.concatenate([a, b]), np.concatenate([b, a]))),
        shape=(n, n),
    )
    graph.sort_indices()
    return graph


def _initial_support(n: int, a: np.ndarray, b: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """About SUPPORT_DEGREE of the best edges of every person, from a 64-bucket histogram.

    Edges in a person's threshold bucket are sampled by a fixed hash of the pair, so that a pool
    of near-identical people does not drag every tied edge into the support.
    """
    top = int(coarse.max()) + 1
    counts = np.zeros(n * 64, np.int64)
    for sl in _chunks(len(a)):
        bucket = coarse[sl] * 64 // top
        counts += np.bincount(a[sl] * 64 + bucket, minlength=n * 64)
        counts += np.bincount(b[sl] * 64 + bucket, minlength=n * 64)
    per_bucket = counts.reshape(n, 64)
    at_least = np.zeros((n, 65), np.int64)  # at_least[v, k]: v's edges in bucket k or above
    at_least[:, :64] = np.cumsum(per_bucket[:, ::-1], axis=1)[:, ::-1]
    threshold = np.maximum((at_least >= SUPPORT_DEGREE).sum(axis=1) - 1, 0)
    rows = np.arange(n)
    at = per_bucket[rows, threshold]
    need = SUPPORT_DEGREE - at_least[rows, threshold + 1]
    support = np.empty(len(a), bool)
    for sl in _chunks(len(a)):
        bucket = coarse[sl] * 64 // top
        sample = (a[sl].astype(np.int64) * 40503 + b[sl] * 9973) % 4093
        keep = np.zeros(len(bucket), bool)
        for end in (a[sl], b[sl]):
            keep |= (bucket > threshold[end]) | (
                (bucket == threshold[end]) & (sample * at[end] < need[end] * 4093)
            )
        support[sl] = keep
    return support


def _violations(
    dual: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    weigh: tuple[np.ndarray, int, int],
    margin: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Edges whose dual constraint fails by more than ``-margin``, and by how much plus margin.

    ``weigh`` is ``(units, div, mul)``: edge weights are ``units // div * mul + 1``; amounts
    are in dual units (4·y), so an edge is violated when its amount exceeds the margin.
    """
    units, div, mul = weigh
    found = [(np.zeros(0, np.int64), np.zeros(0, np.int64))]
    for sl in _chunks(len(a)):
        short = 4 * (units[sl] // div * mul + 1) + margin - dual[a[sl]] - dual[b[sl]]
        k = np.flatnonzero(short > 0)
        found.append((k + sl.start, short[k]))
    idx, short = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return idx, short


def _grow(
    support: np.ndarray, n: int, a: np.ndarray, b: np.ndarray, idx: np.ndarray, short: np.ndarray
) -> None:
    """Add each person's most violated edges: a bounded number per round, not all of them.

    The single most violated edge always joins, so every round makes progress.
    """
    fresh = ~support[idx]
    idx, short = idx[fresh], short[fresh]
    support[idx[_initial_support(n, a[idx], b[idx], short)]] = True
    support[idx[np.argmax(short)]] = True


def _lp_rounds(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    weigh: tuple[np.ndarray, int, int],
    support: np.ndarray,
    outside: np.ndarray,
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """LP on the support, grown until its duals hold on every edge a-b: graph, mate, duals."""
    units, div, mul = weigh
    while True:
        graph = support_graph(n, a[support], b[support], units[support] // div * mul + 1)
        mate, dual = _lp_warm_start(graph, outside)
        # Edges within one weight level of violation are candidates too: fewer rounds.
        idx, short = _violations(dual, a, b, weigh, 4 * mul)
        if not (short > 4 * mul).any():
            return graph, mate, dual
        _grow(support, n, a, b, idx, short)


def max_weight_matching(
    n: int, a: np.ndarray, b: np.ndarray, units: np.ndarray, per_pair: int
) -> np.ndarray:
    """Exact maximum-weight matching of the edges a-b weighted ``units * per_pair + 1``.

    The assignment solver is fast on a sparse graph with few distinct costs and slow otherwise,
    so the work is staged, and optimality is certified on every edge at the end:

    1. Coarse weights (``units // COARSE_UNITS + 1``: same order, far fewer levels): the LP on a
       support of each person's best edges, grown by each person's most violated edges until
       its duals hold on the whole graph.
    2. Exact weights on the edges within NEAR_LEVELS coarse levels of tight (those of the
       coarse support and each person's best others), grown the same way. Edges further from
       tight are covered by a per-person outside option derived from the coarse duals (staying
       single is worth that much in this LP), so they never need to join.
    3. Blossom repair on that graph; any edge of the whole graph its duals then violate joins
       the support and steps 2-3 repeat, so the loop ends with a certificate on every edge.
    """
    coarse = units // COARSE_UNITS + 1
    support = _initial_support(n, a, b, coarse)
    _, _, dual = _lp_rounds(n, a, b, (units, COARSE_UNITS, 1), support, np.zeros(n, np.int64))
    near = np.empty(len(a), bool)
    for sl in _chunks(len(a)):
        near[sl] = dual[a[sl]] + dual[b[sl]] - 4 * coarse[sl] <= 4 * NEAR_LEVELS
    support &= near
    near = np.flatnonzero(near)
    support[near[_initial_support(n, a[near], b[near], units[near] + 1)]] = True
    # weight <= scale * coarse on every edge, so the scaled coarse duals bound every weight.
    scale = COARSE_UNITS * per_pair
    outside = np.maximum(0, -((2 * scale * NEAR_LEVELS - scale * dual) // 4))
    while True:
        graph, mate, dual = _lp_rounds(n, a, b, (units, 1, per_pair), support, outside)
        blossom = Blossom(graph, 2 * graph.data, mate, dual)
        mate = blossom.solve()
        idx, short = blossom.violated(a, b, units, per_pair)
        if not len(idx):
            return mate
        _grow(support, n, a, b, idx, short)
