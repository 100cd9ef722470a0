package main

import (
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/clients/mrswarm"
	"github.com/mrswarm/mrswarm/server/servertest"
)

// mrswarm pin/unpin set a handle's pinned mark on the server; an unknown
// handle is an error that names it.
func TestCLIPin(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{Beverage: true})
	addr := srv.GRPCAddr
	m := handleRE.FindStringSubmatch(mustCLI(t, addr, "sql", "SELECT 42 AS answer"))
	if m == nil {
		t.Fatal("sql printed no handle")
	}
	c, err := mrswarm.Dial(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pinned := func() bool {
		t.Helper()
		sum, err := c.Result(t.Context(), m[1])
		if err != nil {
			t.Fatal(err)
		}
		return sum.GetPinned()
	}
	if out := mustCLI(t, addr, "pin", m[1]); !strings.Contains(out, m[1]+": pinned") || !pinned() {
		t.Errorf("pin: %q, pinned %v", out, pinned())
	}
	if out := mustCLI(t, addr, "unpin", m[1]); !strings.Contains(out, m[1]+": unpinned") || pinned() {
		t.Errorf("unpin: %q, pinned %v", out, pinned())
	}
	code, _, errOut := cli(t, addr, "pin", "res_00000000")
	if code == 0 || !strings.Contains(errOut, "res_00000000") || !strings.Contains(errOut, "not found") {
		t.Errorf("pin of an unknown handle: exit %d, %q", code, errOut)
	}
}
