package attachments

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSniff(t *testing.T) {
	withTail := func(n int, tail string) []byte {
		b := make([]byte, n)
		copy(b[n-512:], tail)
		return b
	}
	tests := []struct {
		name string
		data []byte
		want FileType
	}{
		{"a PE image", peBytes(), TypePE},
		{"a bare DOS header", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 100)...), TypeDOS},
		{"text that starts with MZ", []byte("MZ is the postcode of the sender, and this line is long enough to be judged as text.\n"), TypeUnknown},
		{"an ELF binary", []byte("\x7fELF\x02\x01\x01"), TypeELF},
		{"a 64-bit Mach-O", []byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01"), TypeMachO},
		{"a universal Mach-O", []byte("\xca\xfe\xba\xbe\x00\x00\x00\x02"), TypeMachO},
		{"a Java class is not Mach-O", []byte("\xca\xfe\xba\xbe\x00\x00\x00\x34"), TypeUnknown},
		{"a shortcut", lnkBytes(), TypeLNK},
		{"a cabinet", []byte("MSCF\x00\x00\x00\x00rest"), TypeCAB},
		{"an ISO 9660 image", isoBytes(), TypeISO},
		{"an OLE document", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), TypeOLE},
		{"a zip", zipBytes(t, zfile{name: "a", data: []byte("b")}), TypeZip},
		{"a gzip", gzipBytes(t, "a", []byte("b")), TypeGzip},
		{"a bzip2", []byte("BZh91AY&SY"), TypeBzip2},
		{"an xz", []byte("\xfd7zXZ\x00"), TypeXZ},
		{"a 7z", sevenZipBytes("a"), Type7z},
		{"a rar", rar5Bytes(zfile{name: "a"}), TypeRAR},
		{"a tar", tarBytes(t, zfile{name: "a", data: []byte("b")}), TypeTar},
		{"a VHDX", []byte("vhdxfile"), TypeVHDX},
		{"a fixed VHD (footer)", withTail(4096, "conectix"), TypeVHD},
		{"a DMG (trailer)", withTail(4096, "koly"), TypeDMG},
		{"a PNG", pngBytes, TypePNG},
		{"a PDF", pdfBytes, TypePDF},
		{"an HTML page", []byte("\n<!DOCTYPE html><html></html>"), TypeHTML},
		{"an SVG", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), TypeSVG},
		{"a shell script", []byte("#!/bin/sh\necho hi\n"), TypeScript},
		{"a batch file", []byte("@ECHO OFF\r\ndel x\r\n"), TypeScript},
		{"a calendar", icsBytes, TypeCalendar},
		{"nothing", nil, TypeEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is detected", func(t *testing.T) {
			assert.Equal(t, tt.want, sniff(bytes.NewReader(tt.data), int64(len(tt.data))))
		})
	}
}
