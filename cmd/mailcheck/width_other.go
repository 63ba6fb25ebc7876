//go:build !unix

package main

// terminalWidth returns 0 where the terminal cannot be asked: COLUMNS or 80 apply.
func terminalWidth() int { return 0 }
