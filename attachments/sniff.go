package attachments

import (
	"bytes"
	"encoding/binary"
	"io"
)

// FileType is a file's true type as its bytes say, whatever its name claims.
type FileType string

// The detected types.
const (
	TypeUnknown      FileType = ""
	TypeEmpty        FileType = "empty"
	TypePE           FileType = "pe-executable" // Windows "MZ" + "PE\0\0"
	TypeDOS          FileType = "dos-executable"
	TypeELF          FileType = "elf-executable"
	TypeMachO        FileType = "mach-o-executable"
	TypeLNK          FileType = "windows-shortcut"
	TypeCAB          FileType = "cab-archive"
	TypeISO          FileType = "iso9660-image"
	TypeUDF          FileType = "udf-image"
	TypeVHD          FileType = "vhd-image"
	TypeVHDX         FileType = "vhdx-image"
	TypeDMG          FileType = "dmg-image"
	TypeOLE          FileType = "ole-document"
	TypeOLEMacro     FileType = "ole-document-with-macros"
	TypeMSI          FileType = "msi-installer"
	TypeOOXML        FileType = "ooxml-document"
	TypeOOXMLMacro   FileType = "ooxml-document-with-macros"
	TypeODF          FileType = "odf-document"
	TypeODFMacro     FileType = "odf-document-with-macros"
	TypeJAR          FileType = "java-archive"
	TypeAPK          FileType = "android-package"
	TypeZip          FileType = "zip-archive"
	TypeGzip         FileType = "gzip"
	TypeBzip2        FileType = "bzip2"
	TypeXZ           FileType = "xz"
	Type7z           FileType = "7z-archive"
	TypeRAR          FileType = "rar-archive"
	TypeTar          FileType = "tar-archive"
	TypePDF          FileType = "pdf"
	TypePNG          FileType = "png-image"
	TypeJPEG         FileType = "jpeg-image"
	TypeGIF          FileType = "gif-image"
	TypeRTF          FileType = "rtf"
	TypeHTML         FileType = "html"
	TypeSVG          FileType = "svg"
	TypeScript       FileType = "script"
	TypeCalendar     FileType = "icalendar"
	TypeMessage      FileType = "message"
	TypeTNEF         FileType = "tnef"
	TypeNotInspected FileType = "not-inspected"
)

// trueExt is the extension a content-sniffing receiver files a type under.
var trueExt = map[FileType]string{
	TypePE: "exe", TypeDOS: "exe", TypeELF: "elf", TypeMachO: "macho", TypeLNK: "lnk",
	TypeCAB: "cab", TypeISO: "iso", TypeUDF: "iso", TypeVHD: "vhd", TypeVHDX: "vhdx",
	TypeDMG: "dmg", TypeOOXMLMacro: "docm", TypeMSI: "msi", TypeJAR: "jar", TypeAPK: "apk", TypeXZ: "xz",
}

// executable types are run, not opened; named as anything else they are a disguise.
func (t FileType) executable() bool {
	switch t {
	case TypePE, TypeDOS, TypeELF, TypeMachO, TypeLNK, TypeMSI:
		return true
	}
	return false
}

func (t FileType) diskImage() bool {
	switch t {
	case TypeISO, TypeUDF, TypeVHD, TypeVHDX, TypeDMG:
		return true
	}
	return false
}

func (t FileType) archive() bool {
	switch t {
	case TypeZip, TypeGzip, TypeBzip2, TypeTar, Type7z, TypeRAR:
		return true
	}
	return false
}

// honestExts are the extensions under which a type is what it says.
var honestExts = map[FileType]map[string]bool{
	TypePE:     setOf("exe dll scr com cpl sys ocx drv efi mui ax pif msstyles"),
	TypeDOS:    setOf("exe com pif"),
	TypeELF:    setOf(" so bin elf run appimage o ko out"),
	TypeMachO:  setOf("dylib bundle macho o"),
	TypeLNK:    setOf("lnk"),
	TypeMSI:    setOf("msi msp mst msm"),
	TypeCAB:    setOf("cab msu"),
	TypeISO:    setOf("iso img"),
	TypeUDF:    setOf("iso img udf"),
	TypeVHD:    setOf("vhd img"),
	TypeVHDX:   setOf("vhdx"),
	TypeDMG:    setOf("dmg img"),
	TypeHTML:   setOf("htm html xhtml shtml mht mhtml hta"),
	TypeSVG:    setOf("svg svgz"),
	TypeScript: setOf("sh bash zsh ksh csh py pl rb js vbs vbe wsf wsh bat cmd ps1 txt command"),
}

// sniffLen is how much of a file sniffing looks at.
const sniffLen = 4096

// sniff identifies a file by its bytes. It reads a few fixed offsets only.
func sniff(r io.ReaderAt, size int64) FileType {
	if size == 0 {
		return TypeEmpty
	}
	h := head(r, size, sniffLen)
	at := func(off int64, n int) []byte {
		if off < 0 || off+int64(n) > size {
			return nil
		}
		b := make([]byte, n)
		if k, _ := r.ReadAt(b, off); k < n {
			return nil
		}
		return b
	}
	switch {
	case bytes.HasPrefix(h, []byte("MZ")):
		if len(h) < 0x40 {
			return TypeDOS // too short to tell: treated as the worst case
		}
		off := int64(binary.LittleEndian.Uint32(h[0x3C:]))
		if bytes.Equal(at(off, 4), []byte("PE\x00\x00")) {
			return TypePE
		}
		// A DOS header is binary; text that merely starts with "MZ" is not one.
		if !printable(h[:0x40]) {
			return TypeDOS
		}
	case bytes.HasPrefix(h, []byte("\x7fELF")):
		return TypeELF
	case hasAnyPrefix(h, "\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", "\xce\xfa\xed\xfe", "\xcf\xfa\xed\xfe"):
		return TypeMachO
	case bytes.HasPrefix(h, []byte("\xca\xfe\xba\xbe")) && len(h) >= 8:
		// A Mach-O universal binary; a Java class file shares the magic but has its
		// version (45 and up) where the universal binary has its small arch count.
		if n := binary.BigEndian.Uint32(h[4:]); n > 0 && n < 20 {
			return TypeMachO
		}
	case bytes.HasPrefix(h, []byte("L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46")):
		return TypeLNK // [MS-SHLLINK] §2.1: header size 0x4C and the shell link CLSID
	case bytes.HasPrefix(h, []byte("MSCF\x00\x00\x00\x00")):
		return TypeCAB
	case bytes.HasPrefix(h, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		if oleIsMSI(h, at) {
			return TypeMSI
		}
		return TypeOLE // macros are looked for by inspectFile
	case hasAnyPrefix(h, "PK\x03\x04", "PK\x05\x06", "PK\x07\x08"):
		return TypeZip // refined by the zip listing
	case bytes.HasPrefix(h, []byte("\x1f\x8b")):
		return TypeGzip
	case bytes.HasPrefix(h, []byte("BZh")) && len(h) > 3 && h[3] >= '1' && h[3] <= '9':
		return TypeBzip2
	case bytes.HasPrefix(h, []byte("\xfd7zXZ\x00")):
		return TypeXZ
	case bytes.HasPrefix(h, []byte("7z\xbc\xaf\x27\x1c")):
		return Type7z
	case bytes.HasPrefix(h, []byte("Rar!\x1a\x07")):
		return TypeRAR
	case bytes.HasPrefix(h, []byte("vhdxfile")):
		return TypeVHDX
	case bytes.HasPrefix(h, []byte("conectix")):
		return TypeVHD
	case bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG
	case bytes.HasPrefix(h, []byte("\xff\xd8\xff")):
		return TypeJPEG
	case hasAnyPrefix(h, "GIF87a", "GIF89a"):
		return TypeGIF
	case bytes.HasPrefix(h, []byte("{\\rtf")):
		return TypeRTF
	}
	if len(h) > 262 && bytes.Equal(h[257:262], []byte("ustar")) {
		return TypeTar
	}
	// ECMA-119 §8.1: volume descriptors start at sector 16 (offset 0x8000), each with the
	// standard identifier "CD001" after its type byte; UDF uses "BEA01"/"NSR0x" there.
	for _, off := range []int64{0x8001, 0x8801, 0x9001} {
		switch string(at(off, 5)) {
		case "CD001":
			return TypeISO
		case "BEA01", "NSR02", "NSR03":
			return TypeUDF
		}
	}
	if size >= 512 {
		switch string(at(size-512, 8)) {
		case "conectix":
			return TypeVHD // fixed VHD: the footer is the last sector
		}
		if string(at(size-512, 4)) == "koly" {
			return TypeDMG // UDIF trailer
		}
	}
	return sniffText(h)
}

// sniffText recognises text formats by their first bytes.
func sniffText(h []byte) FileType {
	t := bytes.TrimLeft(bytes.TrimPrefix(h, []byte("\xef\xbb\xbf")), " \t\r\n")
	lower := bytes.ToLower(t)
	switch {
	case bytes.HasPrefix(t, []byte("%PDF-")) || bytes.Contains(h[:min(len(h), 1024)], []byte("%PDF-")):
		return TypePDF
	case bytes.HasPrefix(t, []byte("#!")):
		return TypeScript
	case bytes.HasPrefix(lower, []byte("begin:vcalendar")):
		return TypeCalendar
	case bytes.HasPrefix(lower, []byte("<!doctype html")), bytes.HasPrefix(lower, []byte("<html")),
		bytes.HasPrefix(lower, []byte("<head")), bytes.HasPrefix(lower, []byte("<body")),
		bytes.HasPrefix(lower, []byte("<script")):
		return TypeHTML
	case bytes.HasPrefix(lower, []byte("<svg")),
		bytes.HasPrefix(lower, []byte("<?xml")) && bytes.Contains(lower, []byte("<svg")):
		return TypeSVG
	case bytes.HasPrefix(lower, []byte("@echo off")), bytes.Contains(lower, []byte("wscript.")),
		bytes.Contains(lower, []byte("createobject(")), bytes.Contains(lower, []byte("activexobject(")),
		bytes.Contains(lower, []byte("powershell -e")), bytes.Contains(lower, []byte("invoke-expression")):
		return TypeScript
	}
	return TypeUnknown
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' || c == 0x7F {
			return false
		}
	}
	return true
}

func hasAnyPrefix(b []byte, prefixes ...string) bool {
	for _, p := range prefixes {
		if bytes.HasPrefix(b, []byte(p)) {
			return true
		}
	}
	return false
}

// maxScanBytes bounds the content scans for macros and scripts.
const maxScanBytes = 16 << 20

// containsAny reports whether r's first maxScanBytes contain any needle, case-insensitive
// for ASCII needles (pass them in lower case).
func containsAny(r io.ReaderAt, size int64, fold bool, needles ...[]byte) bool {
	const block = 64 << 10
	longest := 0
	for _, n := range needles {
		longest = max(longest, len(n))
	}
	buf := make([]byte, block+longest)
	limit := min(size, maxScanBytes)
	for off := int64(0); off < limit; off += block {
		n, _ := r.ReadAt(buf, off)
		b := buf[:n]
		if fold {
			b = bytes.ToLower(b)
		}
		for _, nd := range needles {
			if bytes.Contains(b, nd) {
				return true
			}
		}
		if n < len(buf) {
			break
		}
	}
	return false
}

// utf16le encodes an ASCII string as UTF-16LE, the way OLE directory entries store names.
func utf16le(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return b
}

// oleHasMacros reports VBA storage in an OLE compound file. [MS-OVBA] §2.2: a VBA project
// lives in a storage named "VBA" with a "_VBA_PROJECT" stream (Word: under "Macros",
// Excel: "_VBA_PROJECT_CUR"); directory entry names are UTF-16LE, so their bytes can be
// searched for without walking the FAT.
func oleHasMacros(r io.ReaderAt, size int64) bool {
	return containsAny(r, size, false, utf16le("_VBA_PROJECT"), utf16le("Macros\x00"))
}

// msiCLSID is the root storage class of Windows Installer packages,
// {000C1084-0000-0000-C000-000000000046}, in its on-disk (mixed-endian) form.
var msiCLSID = []byte("\x84\x10\x0c\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46")

// oleIsMSI reads the root directory entry of an OLE compound file ([MS-CFB] §2.2: the
// header gives the sector size and the first directory sector; §2.6.1: the entry's
// CLSID is at offset 0x50).
func oleIsMSI(h []byte, at func(off int64, n int) []byte) bool {
	if len(h) < 0x34 {
		return false
	}
	shift := binary.LittleEndian.Uint16(h[0x1E:])
	if shift != 9 && shift != 12 {
		return false
	}
	sector := int64(1) << shift
	dir := int64(binary.LittleEndian.Uint32(h[0x30:]))
	return bytes.Equal(at((dir+1)*sector+0x50, 16), msiCLSID)
}

// htmlHasScript reports active content in an HTML or SVG file: script elements, event
// handler attributes and javascript: URLs, the shape of HTML smuggling.
func htmlHasScript(r io.ReaderAt, size int64) bool {
	return containsAny(r, size, true, []byte("<script"), []byte("javascript:"),
		[]byte(" onload="), []byte(" onerror="), []byte(" onclick="), []byte(" onmouseover="),
		[]byte("window.location"), []byte("atob("), []byte("mssaveoropenblob"))
}

// head returns up to n bytes from the start of r.
func head(r io.ReaderAt, size int64, n int) []byte {
	n = int(min(int64(n), size))
	b := make([]byte, n)
	k, _ := r.ReadAt(b, 0)
	return b[:k]
}
