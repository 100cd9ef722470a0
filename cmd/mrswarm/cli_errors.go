package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mrswarm/mrswarm/clients/mrswarm"
)

// describeError renders a command's error for people: a gRPC status becomes
// its message and code name, without grpc-go's "rpc error: code = … desc ="
// framing; a server that does not answer at addr says how to start one.
func describeError(err error, addr string) string {
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return err.Error()
	}
	st := se.GRPCStatus()
	if unreachable(st) {
		return fmt.Sprintf("server not reachable at %s — start it with `make demo` or `mrswarm serve`", addr)
	}
	context := strings.TrimSuffix(err.Error(), st.Err().Error()) // what the command wrapped around it
	return fmt.Sprintf("%s%s (%s)", context, st.Message(), st.Code())
}

// unreachable reports whether a status is the client's failure to connect,
// as opposed to an Unavailable answer from the server (e.g. Ollama down).
func unreachable(st *status.Status) bool {
	if st.Code() != codes.Unavailable {
		return false
	}
	msg := st.Message()
	return strings.Contains(msg, "connection error") || strings.Contains(msg, "dial tcp") ||
		strings.Contains(msg, "connection refused") || strings.Contains(msg, "name resolver")
}

// globalFlags are the client flags that may come before the command name
// (mrswarm --addr X runs), with whether they take a value.
var globalFlags = map[string]bool{"addr": true, "timeout": true}

// splitGlobals separates the flags before the command name from the command
// line; they are handed to the command ahead of its own arguments.
func splitGlobals(args []string) (globals, rest []string, err error) {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		takesValue, ok := globalFlags[name]
		switch {
		case name == "h" || name == "help":
			return globals, append([]string{"help"}, args[1:]...), nil
		case !ok:
			return nil, nil, fmt.Errorf("unknown flag %s before the command (global flags: --addr, --timeout)", args[0])
		case takesValue && !hasValue:
			if len(args) < 2 {
				return nil, nil, fmt.Errorf("flag %s needs a value", args[0])
			}
			globals, args = append(globals, args[0], args[1]), args[2:]
		default:
			globals, args = append(globals, args[0]), args[1:]
		}
	}
	return globals, args, nil
}

// addrOf is the server address a command line talks to: its last --addr,
// else MRSWARM_ADDR, else the default.
func addrOf(args []string) string {
	addr := os.Getenv("MRSWARM_ADDR")
	if addr == "" {
		addr = mrswarm.DefaultAddr
	}
	for i, a := range args {
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "addr" {
			continue
		}
		if hasValue {
			addr = value
		} else if i+1 < len(args) {
			addr = args[i+1]
		}
	}
	return addr
}
