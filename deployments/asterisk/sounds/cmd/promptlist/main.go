// Command promptlist prints the prompts of a manifest for
// scripts/render-prompts.sh, one "<lang>\t<prompt-id>\t<text>" line per
// prompt and language, after checking the manifest.
//
//	go run ./deployments/asterisk/sounds/cmd/promptlist deployments/asterisk/sounds/prompts.yaml
package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/tenesa-ivr/tenesa-ivr/deployments/asterisk/sounds"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: promptlist <prompts.yaml>")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	prompts, err := sounds.ParseManifest(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	for _, lang := range sounds.Languages {
		for _, p := range prompts {
			fmt.Fprintf(w, "%s\t%s\t%s\n", lang, p.Name, p.Text(lang))
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
