#!/usr/bin/env python3
"""Write the Le Havre sheet in the spreadsheet formats a secretary may
upload by mistake instead of CSV, for the tests that check they are
recognised by their first bytes and refused with the way to save as CSV:

  le-havre.xlsx  Office Open XML workbook, as Excel saves it (zip with
                 [Content_Types].xml, xl/workbook.xml, xl/worksheets/...)
  le-havre.ods   OpenDocument spreadsheet, as LibreOffice Calc saves it
                 (zip whose first entry is the stored "mimetype")
  le-havre.xls   Excel 97-2003: an OLE2 compound file whose directory holds
                 a "Workbook" stream (header, FAT and directory are real;
                 the stream holds the CSV text, not BIFF8 records)

Deterministic (fixed timestamps), so the files only change when this
script does. Run from anywhere: python3 make_spreadsheets.py
"""
import os
import struct
import zipfile
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = [l.split(";") for l in open(os.path.join(HERE, "le-havre.csv"), encoding="utf-8").read().splitlines()]
STAMP = (2020, 6, 17, 18, 0, 0)


def add(z, name, data, compress=zipfile.ZIP_DEFLATED):
    info = zipfile.ZipInfo(name, STAMP)
    info.compress_type = compress
    z.writestr(info, data)


def col(i):
    return "ABCDEF"[i]


def xlsx(path):
    cells = []
    for r, row in enumerate(ROWS, 1):
        cs = "".join(
            f'<c r="{col(i)}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>' for i, v in enumerate(row) if v
        )
        cells.append(f'<row r="{r}">{cs}</row>')
    with zipfile.ZipFile(path, "w") as z:
        add(z, "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            '</Types>')
        add(z, "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
            '</Relationships>')
        add(z, "docProps/app.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            '<Application>Microsoft Excel</Application></Properties>')
        add(z, "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Présences" sheetId="1" r:id="rId1"/></sheets></workbook>')
        add(z, "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '</Relationships>')
        add(z, "xl/worksheets/sheet1.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + "".join(cells) + "</sheetData></worksheet>")


def ods(path):
    rows = "".join(
        "<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>' if v
            else "<table:table-cell/>" for v in row) + "</table:table-row>" for row in ROWS)
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"')
    with zipfile.ZipFile(path, "w") as z:
        add(z, "mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        add(z, "meta.xml",
            f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {ns} '
            'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"><office:meta>'
            '<meta:generator>LibreOffice/7.4.7.2$Linux_X86_64 LibreOffice_project/40$Build-2</meta:generator>'
            '</office:meta></office:document-meta>')
        add(z, "content.xml",
            f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ns}><office:body>'
            f'<office:spreadsheet><table:table table:name="Présences">{rows}</table:table>'
            '</office:spreadsheet></office:body></office:document-content>')
        add(z, "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>')


def dir_entry(name, kind, start, size, child=0xFFFFFFFF):
    n = (name + "\0").encode("utf-16-le")
    return (n.ljust(64, b"\0") + struct.pack("<HBB", len(n), kind, 1)
            + struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, child) + b"\0" * 16 + struct.pack("<I", 0)
            + b"\0" * 16 + struct.pack("<III", start, size, 0))


def xls(path):
    """Compound file, 512-byte sectors: 0 = FAT, 1 = directory, 2.. = Workbook."""
    stream = ("\n".join(";".join(r) for r in ROWS) + "\n").encode("cp1252")
    stream += b"\0" * (-len(stream) % 4096)  # at least 4096 bytes: a regular stream
    nsec = len(stream) // 512
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + [3 + i for i in range(nsec - 1)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))
    header = (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
              + struct.pack("<I", 0) + struct.pack("<I", 0xFFFFFFFF) * 108)
    directory = (dir_entry("Root Entry", 5, 0xFFFFFFFE, 0, child=1) + dir_entry("Workbook", 2, 2, len(stream))
                 + b"\0" * 256)
    with open(path, "wb") as f:
        f.write(header + struct.pack("<128I", *fat) + directory + stream)


xlsx(os.path.join(HERE, "le-havre.xlsx"))
ods(os.path.join(HERE, "le-havre.ods"))
xls(os.path.join(HERE, "le-havre.xls"))
