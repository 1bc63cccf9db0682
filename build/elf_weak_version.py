#!/usr/bin/env python3
"""Set VER_FLG_WEAK on one version requirement (e.g. GLIBCXX_3.4.32) of a 64-bit little-endian ELF file.

A weak version requirement lets the dynamic loader accept a library that lacks that version; the
symbol itself is then resolved from whichever loaded object defines it (our compat library).
"""
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def main(path: str, version: str) -> int:
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            sys.exit(f"{path}: not a 64-bit little-endian ELF file")
        e_shoff, = struct.unpack_from("<Q", data, 0x28)
        e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)

        def section(i):
            name, typ, flags, addr, off, size, link, info, align, entsize = struct.unpack_from(
                "<IIQQQQIIQQ", data, e_shoff + i * e_shentsize)
            return typ, off, size, link

        for i in range(e_shnum):
            typ, off, size, link = section(i)
            if typ != SHT_GNU_VERNEED:
                continue
            _, stroff, _, _ = section(link)
            vn = off
            while True:
                vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, vn)
                aux = vn + vn_aux
                for _ in range(vn_cnt):
                    vna_hash, vna_flags, vna_other, vna_name, vna_next = struct.unpack_from("<IHHII", data, aux)
                    end = data.index(b"\0", stroff + vna_name)
                    if data[stroff + vna_name:end].decode() == version:
                        struct.pack_into("<H", data, aux + 4, vna_flags | VER_FLG_WEAK)
                        f.seek(0)
                        f.write(data)
                        return 0
                    aux += vna_next
                if vn_next == 0:
                    break
                vn += vn_next
    sys.exit(f"{path}: no version requirement named {version}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
