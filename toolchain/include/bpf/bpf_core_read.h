/* SPDX-License-Identifier: MIT */
/*
 * stackargs: a compatible subset of libbpf's <bpf/bpf_core_read.h>, used only
 * when the system has no libbpf headers. Written for this project from the
 * documented meaning of libbpf's CO-RE macros and of clang's BPF builtins
 * (__builtin_preserve_access_index, __builtin_preserve_field_info,
 * __builtin_preserve_type_info, __builtin_preserve_enum_value,
 * __builtin_btf_type_id), each of which records a CO-RE relocation in
 * .BTF.ext that the loader resolves against the target kernel's BTF.
 */
#ifndef __BPF_CORE_READ_H__
#define __BPF_CORE_READ_H__

#include <bpf/bpf_helpers.h>

/* second argument of __builtin_preserve_field_info */
enum bpf_field_info_kind {
	BPF_FIELD_BYTE_OFFSET = 0,	/* offset of the field in bytes */
	BPF_FIELD_BYTE_SIZE = 1,	/* size of the field (of its storage unit for bitfields) */
	BPF_FIELD_EXISTS = 2,		/* 1 if the target has the field */
	BPF_FIELD_SIGNED = 3,		/* 1 if the field is a signed integer */
	BPF_FIELD_LSHIFT_U64 = 4,	/* bitfield extraction: left shift in a u64 ... */
	BPF_FIELD_RSHIFT_U64 = 5,	/* ... then right shift */
};

/* second argument of __builtin_btf_type_id */
enum bpf_type_id_kind {
	BPF_TYPE_ID_LOCAL = 0,		/* the type's id in this object's BTF */
	BPF_TYPE_ID_TARGET = 1,		/* the matching type's id in the target BTF */
};

/* second argument of __builtin_preserve_type_info */
enum bpf_type_info_kind {
	BPF_TYPE_EXISTS = 0,
	BPF_TYPE_SIZE = 1,
	BPF_TYPE_MATCHES = 2,
};

/* second argument of __builtin_preserve_enum_value */
enum bpf_enum_value_kind {
	BPF_ENUMVAL_EXISTS = 0,
	BPF_ENUMVAL_VALUE = 1,
};

/* argument counting for the macros below (1..9 arguments) */
#define ___sa_cat_(a, b) a ## b
#define ___sa_cat(a, b) ___sa_cat_(a, b)
#define ___sa_pick(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, N, ...) N
#define ___sa_nargs(...) ___sa_pick(__VA_ARGS__, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define ___sa_dispatch(base, ...) ___sa_cat(base, ___sa_nargs(__VA_ARGS__))(__VA_ARGS__)

/* A field given as one expression (s->a.b) or as (type, field path). */
#define ___sa_field1(expr) (expr)
#define ___sa_field2(type, field) (((typeof(type) *)0)->field)
#define ___sa_field(...) ___sa_dispatch(___sa_field, __VA_ARGS__)

#define __CORE_RELO(src, field, info) \
	__builtin_preserve_field_info((src)->field, BPF_FIELD_##info)

#define bpf_core_field_exists(field...) \
	__builtin_preserve_field_info(___sa_field(field), BPF_FIELD_EXISTS)
#define bpf_core_field_size(field...) \
	__builtin_preserve_field_info(___sa_field(field), BPF_FIELD_BYTE_SIZE)
#define bpf_core_field_offset(field...) \
	__builtin_preserve_field_info(___sa_field(field), BPF_FIELD_BYTE_OFFSET)
#define bpf_core_field_signed(field...) \
	__builtin_preserve_field_info(___sa_field(field), BPF_FIELD_SIGNED)

#define bpf_core_type_id_local(type) \
	__builtin_btf_type_id(*(typeof(type) *)0, BPF_TYPE_ID_LOCAL)
#define bpf_core_type_id_kernel(type) \
	__builtin_btf_type_id(*(typeof(type) *)0, BPF_TYPE_ID_TARGET)
#define bpf_core_type_exists(type) \
	__builtin_preserve_type_info(*(typeof(type) *)0, BPF_TYPE_EXISTS)
#define bpf_core_type_size(type) \
	__builtin_preserve_type_info(*(typeof(type) *)0, BPF_TYPE_SIZE)
#define bpf_core_type_matches(type) \
	__builtin_preserve_type_info(*(typeof(type) *)0, BPF_TYPE_MATCHES)

#define bpf_core_enum_value_exists(enum_type, enumerator) \
	__builtin_preserve_enum_value(*(typeof(enum_type) *)enumerator, BPF_ENUMVAL_EXISTS)
#define bpf_core_enum_value(enum_type, enumerator) \
	__builtin_preserve_enum_value(*(typeof(enum_type) *)enumerator, BPF_ENUMVAL_VALUE)

/* Bitfields. _PROBED reads the storage unit with bpf_probe_read_kernel; the
 * plain form dereferences it (for BTF-typed pointers the verifier trusts).
 * Either way the value is shifted into place: left by LSHIFT_U64, then right
 * by RSHIFT_U64, arithmetically when the field is signed. */
#define ___sa_bitfield_finish(val, s, field) ({					\
	(val) <<= __CORE_RELO(s, field, LSHIFT_U64);				\
	__CORE_RELO(s, field, SIGNED)						\
		? (unsigned long long)((long long)(val) >> __CORE_RELO(s, field, RSHIFT_U64)) \
		: (val) >> __CORE_RELO(s, field, RSHIFT_U64);			\
})

#define BPF_CORE_READ_BITFIELD_PROBED(s, field) ({				\
	unsigned long long ___sa_val = 0;					\
	bpf_probe_read_kernel(&___sa_val, __CORE_RELO(s, field, BYTE_SIZE),	\
			      (const void *)(s) + __CORE_RELO(s, field, BYTE_OFFSET)); \
	___sa_val = ___sa_bitfield_finish(___sa_val, s, field);		\
	___sa_val;								\
})

#define BPF_CORE_READ_BITFIELD(s, field) ({					\
	const void *___sa_p = (const void *)(s) + __CORE_RELO(s, field, BYTE_OFFSET); \
	unsigned long long ___sa_val;						\
	switch (__CORE_RELO(s, field, BYTE_SIZE)) {				\
	case 1: ___sa_val = *(const unsigned char *)___sa_p; break;		\
	case 2: ___sa_val = *(const unsigned short *)___sa_p; break;		\
	case 4: ___sa_val = *(const unsigned int *)___sa_p; break;		\
	case 8: ___sa_val = *(const unsigned long long *)___sa_p; break;	\
	default: ___sa_val = 0; break;						\
	}									\
	___sa_val = ___sa_bitfield_finish(___sa_val, s, field);		\
	___sa_val;								\
})

/* One relocatable read: sz bytes at src (an address expression into a
 * CO-RE-relocatable type) into dst. */
#define bpf_core_read(dst, sz, src) \
	bpf_probe_read_kernel(dst, sz, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_user(dst, sz, src) \
	bpf_probe_read_user(dst, sz, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_str(dst, sz, src) \
	bpf_probe_read_kernel_str(dst, sz, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_user_str(dst, sz, src) \
	bpf_probe_read_user_str(dst, sz, (const void *)__builtin_preserve_access_index(src))

/* Pointer chains: READ_INTO(dst, src, a, b, c) reads src->a into a temporary,
 * then tmp->b, then tmp->c into *dst; `last` does the final read (value or
 * string), `step` every intermediate pointer. Up to 9 links, one flat macro
 * per length (the preprocessor does not recurse). */
#define ___sa_chain1(step, last, dst, src, a) last(dst, sizeof(*(dst)), &(src)->a)
#define ___sa_chain2(step, last, dst, src, a, b) ({	\
	typeof((src)->a) ___sa_t1;	\
	step(&___sa_t1, sizeof(___sa_t1), &(src)->a);	\
	last(dst, sizeof(*(dst)), &(___sa_t1)->b);	\
})
#define ___sa_chain3(step, last, dst, src, a, b, c) ({	\
	typeof((src)->a) ___sa_t1;	\
	step(&___sa_t1, sizeof(___sa_t1), &(src)->a);	\
	typeof((___sa_t1)->b) ___sa_t2;	\
	step(&___sa_t2, sizeof(___sa_t2), &(___sa_t1)->b);	\
	last(dst, sizeof(*(dst)), &(___sa_t2)->c);	\
})
#define ___sa_chain4(step, last, dst, src, a, b, c, d) ({	\
	typeof((src)->a) ___sa_t1;	\
	step(&___sa_t1, sizeof(___sa_t1), &(src)->a);	\
	typeof((___sa_t1)->b) ___sa_t2;	\
	step(&___sa_t2, sizeof(___sa_t2), &(___sa_t1)->b);	\
	typeof((___sa_t2)->c) ___sa_t3;	\
	step(&___sa_t3, sizeof(___sa_t3), &(___sa_t2)->c);	\
	last(dst, sizeof(*(dst)), &(___sa_t3)->d);	\
})
#define ___sa_chain5(step, last, dst, src, a, b, c, d, e) ({	\
	typeof((src)->a) ___sa_t1;	\
	step(&___sa_t1, sizeof(___sa_t1), &(src)->a);	\
	typeof((___sa_t1)->b) ___sa_t2;	\
	step(&___sa_t2, sizeof(___sa_t2), &(___sa_t1)->b);	\
	typeof((___sa_t2)->c) ___sa_t3;	\
	step(&___sa_t3, sizeof(___sa_t3), &(___sa_t2)->c);	\
	typeof((___sa_t3)->d) ___sa_t4;	\
	step(&___sa_t4, sizeof(___sa_t4), &(___sa_t3)->d);	\
	last(dst, sizeof(*(dst)), &(___sa_t4)->e);	\
})
#define ___sa_chain6(step, last, dst, src, a, b, c, d, e, f) ({	\
	typeof((src)->a) ___sa_t1;	\
	step(&___sa_t1, sizeof(___sa_t1), &(src)->a);	\
	typeof((___sa_t1)->b) ___sa_t2;	\
	step(&___sa_t2, sizeof(___sa_t2), &(___sa_t1)->b);	\
	typeof((___sa_t2)->c) ___sa_t3;	\
	step(&___sa_t3, sizeof(___sa_t3), &(___sa_t2)->c);	\
	typeof((___sa_t3)->d) ___sa_t4;	\
	step(&___sa_t4, sizeof(___sa_t4), &(___sa_t3)->d);	\
	typeof((___sa_t4)->e) ___sa_t5;	\
	step(&___sa_t5, sizeof(___sa_t5), &(___sa_t4)->e);	\
	last(dst, sizeof(*(dst)), &(___sa_t5)->f);	\
})
#define ___sa_chain7(step, last, dst, src, a, b, c, d, e, f, g) ({	\
	typeof((src)->a) ___sa_t1;	\
	step(&___sa_t1, sizeof(___sa_t1), &(src)->a);	\
	typeof((___sa_t1)->b) ___sa_t2;	\
	step(&___sa_t2, sizeof(___sa_t2), &(___sa_t1)->b);	\
	typeof((___sa_t2)->c) ___sa_t3;	\
	step(&___sa_t3, sizeof(___sa_t3), &(___sa_t2)->c);	\
	typeof((___sa_t3)->d) ___sa_t4;	\
	step(&___sa_t4, sizeof(___sa_t4), &(___sa_t3)->d);	\
	typeof((___sa_t4)->e) ___sa_t5;	\
	step(&___sa_t5, sizeof(___sa_t5), &(___sa_t4)->e);	\
	typeof((___sa_t5)->f) ___sa_t6;	\
	step(&___sa_t6, sizeof(___sa_t6), &(___sa_t5)->f);	\
	last(dst, sizeof(*(dst)), &(___sa_t6)->g);	\
})
#define ___sa_chain8(step, last, dst, src, a, b, c, d, e, f, g, h) ({	\
	typeof((src)->a) ___sa_t1;	\
	step(&___sa_t1, sizeof(___sa_t1), &(src)->a);	\
	typeof((___sa_t1)->b) ___sa_t2;	\
	step(&___sa_t2, sizeof(___sa_t2), &(___sa_t1)->b);	\
	typeof((___sa_t2)->c) ___sa_t3;	\
	step(&___sa_t3, sizeof(___sa_t3), &(___sa_t2)->c);	\
	typeof((___sa_t3)->d) ___sa_t4;	\
	step(&___sa_t4, sizeof(___sa_t4), &(___sa_t3)->d);	\
	typeof((___sa_t4)->e) ___sa_t5;	\
	step(&___sa_t5, sizeof(___sa_t5), &(___sa_t4)->e);	\
	typeof((___sa_t5)->f) ___sa_t6;	\
	step(&___sa_t6, sizeof(___sa_t6), &(___sa_t5)->f);	\
	typeof((___sa_t6)->g) ___sa_t7;	\
	step(&___sa_t7, sizeof(___sa_t7), &(___sa_t6)->g);	\
	last(dst, sizeof(*(dst)), &(___sa_t7)->h);	\
})
#define ___sa_chain9(step, last, dst, src, a, b, c, d, e, f, g, h, i) ({	\
	typeof((src)->a) ___sa_t1;	\
	step(&___sa_t1, sizeof(___sa_t1), &(src)->a);	\
	typeof((___sa_t1)->b) ___sa_t2;	\
	step(&___sa_t2, sizeof(___sa_t2), &(___sa_t1)->b);	\
	typeof((___sa_t2)->c) ___sa_t3;	\
	step(&___sa_t3, sizeof(___sa_t3), &(___sa_t2)->c);	\
	typeof((___sa_t3)->d) ___sa_t4;	\
	step(&___sa_t4, sizeof(___sa_t4), &(___sa_t3)->d);	\
	typeof((___sa_t4)->e) ___sa_t5;	\
	step(&___sa_t5, sizeof(___sa_t5), &(___sa_t4)->e);	\
	typeof((___sa_t5)->f) ___sa_t6;	\
	step(&___sa_t6, sizeof(___sa_t6), &(___sa_t5)->f);	\
	typeof((___sa_t6)->g) ___sa_t7;	\
	step(&___sa_t7, sizeof(___sa_t7), &(___sa_t6)->g);	\
	typeof((___sa_t7)->h) ___sa_t8;	\
	step(&___sa_t8, sizeof(___sa_t8), &(___sa_t7)->h);	\
	last(dst, sizeof(*(dst)), &(___sa_t8)->i);	\
})
#define ___sa_chain(step, last, dst, src, ...) \
	___sa_cat(___sa_chain, ___sa_nargs(__VA_ARGS__))(step, last, dst, src, __VA_ARGS__)

/* the type at the end of a chain: typeof((src)->a->b->c) */
#define ___sa_arrow1(a) ->a
#define ___sa_arrow2(a, ...) ->a ___sa_arrow1(__VA_ARGS__)
#define ___sa_arrow3(a, ...) ->a ___sa_arrow2(__VA_ARGS__)
#define ___sa_arrow4(a, ...) ->a ___sa_arrow3(__VA_ARGS__)
#define ___sa_arrow5(a, ...) ->a ___sa_arrow4(__VA_ARGS__)
#define ___sa_arrow6(a, ...) ->a ___sa_arrow5(__VA_ARGS__)
#define ___sa_arrow7(a, ...) ->a ___sa_arrow6(__VA_ARGS__)
#define ___sa_arrow8(a, ...) ->a ___sa_arrow7(__VA_ARGS__)
#define ___sa_arrow9(a, ...) ->a ___sa_arrow8(__VA_ARGS__)
#define ___sa_result_type(src, ...) \
	typeof((src) ___sa_cat(___sa_arrow, ___sa_nargs(__VA_ARGS__))(__VA_ARGS__))

#define ___sa_plain_read(dst, sz, src) bpf_probe_read_kernel(dst, sz, (const void *)(src))
#define ___sa_plain_read_user(dst, sz, src) bpf_probe_read_user(dst, sz, (const void *)(src))
#define ___sa_plain_read_str(dst, sz, src) bpf_probe_read_kernel_str(dst, sz, (const void *)(src))
#define ___sa_plain_read_user_str(dst, sz, src) bpf_probe_read_user_str(dst, sz, (const void *)(src))

#define BPF_CORE_READ_INTO(dst, src, a, ...) \
	___sa_chain(bpf_core_read, bpf_core_read, dst, src, a, ##__VA_ARGS__)
#define BPF_CORE_READ_USER_INTO(dst, src, a, ...) \
	___sa_chain(bpf_core_read_user, bpf_core_read_user, dst, src, a, ##__VA_ARGS__)
#define BPF_CORE_READ_STR_INTO(dst, src, a, ...) \
	___sa_chain(bpf_core_read, bpf_core_read_str, dst, src, a, ##__VA_ARGS__)
#define BPF_CORE_READ_USER_STR_INTO(dst, src, a, ...) \
	___sa_chain(bpf_core_read_user, bpf_core_read_user_str, dst, src, a, ##__VA_ARGS__)
#define BPF_PROBE_READ_INTO(dst, src, a, ...) \
	___sa_chain(___sa_plain_read, ___sa_plain_read, dst, src, a, ##__VA_ARGS__)
#define BPF_PROBE_READ_USER_INTO(dst, src, a, ...) \
	___sa_chain(___sa_plain_read_user, ___sa_plain_read_user, dst, src, a, ##__VA_ARGS__)
#define BPF_PROBE_READ_STR_INTO(dst, src, a, ...) \
	___sa_chain(___sa_plain_read, ___sa_plain_read_str, dst, src, a, ##__VA_ARGS__)
#define BPF_PROBE_READ_USER_STR_INTO(dst, src, a, ...) \
	___sa_chain(___sa_plain_read_user, ___sa_plain_read_user_str, dst, src, a, ##__VA_ARGS__)

/* The value at the end of the chain: BPF_CORE_READ(task, mm, exe_file, f_inode) */
#define BPF_CORE_READ(src, a, ...) ({						\
	___sa_result_type(src, a, ##__VA_ARGS__) ___sa_result;			\
	BPF_CORE_READ_INTO(&___sa_result, src, a, ##__VA_ARGS__);		\
	___sa_result;								\
})
#define BPF_CORE_READ_USER(src, a, ...) ({					\
	___sa_result_type(src, a, ##__VA_ARGS__) ___sa_result;			\
	BPF_CORE_READ_USER_INTO(&___sa_result, src, a, ##__VA_ARGS__);		\
	___sa_result;								\
})
#define BPF_PROBE_READ(src, a, ...) ({						\
	___sa_result_type(src, a, ##__VA_ARGS__) ___sa_result;			\
	BPF_PROBE_READ_INTO(&___sa_result, src, a, ##__VA_ARGS__);		\
	___sa_result;								\
})
#define BPF_PROBE_READ_USER(src, a, ...) ({					\
	___sa_result_type(src, a, ##__VA_ARGS__) ___sa_result;			\
	BPF_PROBE_READ_USER_INTO(&___sa_result, src, a, ##__VA_ARGS__);		\
	___sa_result;								\
})

#endif /* __BPF_CORE_READ_H__ */
