// Command mailcheck tells you why your email is not being delivered and what to change.
//
// Run `mailcheck --help` for the commands. Exit codes: 0 no failure (warnings allowed),
// 1 at least one check failed, 2 usage or input error, 3 no failure found but the check
// is incomplete because of DNS errors.
package main

import "os"

func main() {
	os.Exit(run(os.Args, newEnv()))
}
