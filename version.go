package mailcheck

import (
	"runtime/debug"
	"sync"
)

// modulePath is this module's path, to find its version among a program's dependencies.
const modulePath = "github.com/mailcheck/mailcheck"

// Version is the version of mailcheck the running program was built with: the module
// version ("v1.4.0") when mailcheck is a dependency or was installed with go install,
// else "devel", followed by the VCS revision when the build recorded one
// ("devel (0123456789ab+dirty)"). Reports carry it as mailcheck_version, so two stored
// reports can be told apart by the code that made them.
func Version() string { return versionOnce() }

var versionOnce = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	mod := &bi.Main
	if mod.Path != modulePath {
		mod = nil
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				mod = d
				if d.Replace != nil {
					mod = d.Replace
				}
				break
			}
		}
	}
	v := ""
	if mod != nil {
		v = mod.Version
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	if mod == nil || mod != &bi.Main {
		return v // the revision in the build info is the main module's, not ours
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " (" + rev + dirty + ")"
	}
	return v
})
