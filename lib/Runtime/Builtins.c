/*===- Builtins.c - Conversions LLVM calls where the CPU has none ---------===*\
 *
 * On a CPU without AVX512-BF16, LLVM lowers a conversion of f32 to bfloat16
 * to a call of __truncsfbf2, a builtin that compiler-rt and GCC 13's libgcc
 * provide and GCC 12's (Debian bookworm's) does not. The model's link finds
 * it here. bfloat16 values are returned in the low 16 bits of xmm0, as
 * _Float16 values are.
 *
\*===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <string.h>

/* f32 to bfloat16, rounding to nearest even; NaNs stay NaNs (quiet). */
_Float16 __truncsfbf2(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof(bits));
  uint16_t result;
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    result = (uint16_t)((bits >> 16) | 0x40u);
  else
    result = (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
  _Float16 out;
  memcpy(&out, &result, sizeof(out));
  return out;
}
