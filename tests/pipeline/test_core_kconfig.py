""".kconfig externs: libbpf's rules for names, types and values.

Expected texts are libbpf's own messages (libbpf.c: ``bpf_object__resolve_externs``,
``set_kcfg_value_*``); where the kernel is available, libbpf itself must refuse the same
objects (it fails before BPF_PROG_LOAD) or load them, whichever we do.
"""

from __future__ import annotations

import pytest

import pipeline
from tests.oracles import kernel as K

HEAD = "#include <linux/bpf.h>\n#include <stdbool.h>\n#include <bpf/bpf_helpers.h>\n"


def _build(tmp_path, decls: str, expr: str):
    src = tmp_path / "k.c"
    src.write_text(HEAD + decls + '\nSEC("tc") int k(struct __sk_buff *skb)\n{\n\treturn '
                   + expr + ';\n}\nchar LICENSE[] SEC("license") = "GPL";\n')
    return pipeline.build(src, output=tmp_path / "k.bpf.o")


def _libbpf_refuses(obj) -> bool | None:
    if not (K.kernel_available()[0] and K.libbpf_available()[0]):
        return None
    with K.load_object(obj.raw_elf.path, "k") as res:
        return not res.reached_kernel


@pytest.mark.parametrize("decls, expr, message", [
    ("extern int LINUX_STACKARGS_FOO __kconfig;", "LINUX_STACKARGS_FOO",
     "extern (kcfg) 'LINUX_STACKARGS_FOO': unrecognized virtual extern"),
    ("extern int STACKARGS_FOO __kconfig __weak;", "STACKARGS_FOO",
     "extern (kcfg) 'STACKARGS_FOO': unrecognized virtual extern"),
    ("extern struct bpf_sock_tuple CONFIG_STACKARGS_S __kconfig __weak;",
     "((char *)&CONFIG_STACKARGS_S)[0]", "extern (kcfg) 'CONFIG_STACKARGS_S': type is unsupported"),
])
def test_refused_externs(tmp_path, decls, expr, message):
    obj = _build(tmp_path, decls, expr)
    with pytest.raises(pipeline.Error) as e:
        pipeline.verify(obj, "k")
    assert message in str(e.value) and e.value.exit_code == 1
    assert _libbpf_refuses(obj) in (None, True)


def test_weak_virtual_and_config_externs_default_to_zero(tmp_path):
    obj = _build(tmp_path, "extern int LINUX_STACKARGS_FOO __kconfig __weak;\n"
                           "extern int CONFIG_STACKARGS_BAR __kconfig __weak;",
                 "LINUX_STACKARGS_FOO + CONFIG_STACKARGS_BAR + 7")
    assert pipeline.run(obj, "k").retval == 7
    assert _libbpf_refuses(obj) in (None, False)


@pytest.mark.parametrize("value, message", [
    ("2", "extern (kcfg) 'CONFIG_STACKARGS_B': value '2' implies integer type"),
    ("m", "extern (kcfg) 'CONFIG_STACKARGS_B': value 'm' implies tristate or char type"),
    ('"str"', "extern (kcfg) 'CONFIG_STACKARGS_B': value '\"str\"' implies char array type"),
    ("zz", "extern (kcfg) 'CONFIG_STACKARGS_B': value 'zz' isn't a valid integer"),
])
def test_bool_values(tmp_path, value, message):
    obj = _build(tmp_path, "extern bool CONFIG_STACKARGS_B __kconfig;", "CONFIG_STACKARGS_B")
    with pytest.raises(pipeline.Error) as e:
        pipeline.verify(obj, "k", kconfig={"CONFIG_STACKARGS_B": value})
    assert message in str(e.value)


def test_values_of_each_type(tmp_path):
    obj = _build(tmp_path, "extern char CONFIG_STACKARGS_C __kconfig;\n"
                           "extern char CONFIG_STACKARGS_S[8] __kconfig;\n"
                           "extern short CONFIG_STACKARGS_H __kconfig;\n"
                           "extern enum libbpf_tristate CONFIG_STACKARGS_T __kconfig;",
                 "CONFIG_STACKARGS_C + CONFIG_STACKARGS_S[2] * 1000 + CONFIG_STACKARGS_H * 100000"
                 " + CONFIG_STACKARGS_T * 100000000")
    conf = {"CONFIG_STACKARGS_C": "m", "CONFIG_STACKARGS_S": '"abcdefghij"',
            "CONFIG_STACKARGS_H": "-0x3", "CONFIG_STACKARGS_T": "m"}
    got = pipeline.run(obj, "k", kconfig=conf).retval
    want = ord("m") + ord("c") * 1000 - 3 * 100000 + 2 * 100000000
    assert got == want & 0xFFFF_FFFF
    with pytest.raises(pipeline.Error, match="value '300' doesn't fit in 1 bytes"):
        pipeline.verify(obj, "k", kconfig=dict(conf, CONFIG_STACKARGS_C="300"))
