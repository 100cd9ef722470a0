package ollamatest

import (
	"os"
	"strings"
)

// tail returns the last lines of the server log at path, without the route
// table that Ollama's web framework prints at start.
func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	var lines []string
	for line := range strings.SplitSeq(strings.TrimRight(string(data), "\n"), "\n") {
		if !strings.HasPrefix(line, "[GIN-debug]") {
			lines = append(lines, line)
		}
	}
	const keep = 40
	if len(lines) > keep {
		lines = lines[len(lines)-keep:]
	}
	return strings.Join(lines, "\n")
}
