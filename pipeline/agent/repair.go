package agent

import (
	"fmt"
	"strings"
)

// maxRepairLines bounds the discrepancies a repair prompt lists.
const maxRepairLines = 10

// repairPrompt asks for the final answer again, listing the numbers that the
// data its findings cite does not hold.
func repairPrompt(problems []string) string {
	var b strings.Builder
	b.WriteString("Some numbers in your final answer are not in the results your findings cite:\n")
	for _, p := range problems[:min(len(problems), maxRepairLines)] {
		b.WriteString("- " + clip(oneLine(p), maxObservation) + "\n")
	}
	if n := len(problems) - maxRepairLines; n > 0 {
		fmt.Fprintf(&b, "- and %d more\n", n)
	}
	b.WriteString("Answer again with the final JSON object. Take every number from the rows of the results you cite " +
		"(rounding is fine), cite the handle that holds it, or leave the number out.")
	return b.String()
}
