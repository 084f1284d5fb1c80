# Generates the kernel instantiations and the registry from forms.csv and variants.csv.
#
# Included by the top-level CMakeLists.txt at configure time (the tables are CMAKE_CONFIGURE_DEPENDS, so
# editing one regenerates). The kernels go into units of at most 8 rows of one form each,
# kernels_<family>_<direction>_<form>_<n>.cu and its _cpu.c twin.
# In:  SF_KERNELS_DIR, SF_GEN_DIR.  Out: SF_GEN_FAMILIES (family names),
# SF_GEN_CUDA_SOURCES, SF_GEN_CPU_SOURCES, SF_GEN_REGISTRY (paths under SF_GEN_DIR).
# Each generated file is rewritten only when its text changes, so a rebuild recompiles what changed.

function(sf_csv_rows path out_var)
  file(STRINGS "${path}" lines)
  set(rows "")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    if(line STREQUAL "" OR line MATCHES "^#" OR line MATCHES "^family,")
      continue()
    endif()
    list(APPEND rows "${line}")
  endforeach()
  set(${out_var} "${rows}" PARENT_SCOPE)
endfunction()

function(sf_write_if_changed path content)
  file(WRITE "${path}.tmp" "${content}")
  configure_file("${path}.tmp" "${path}" COPYONLY)
  file(REMOVE "${path}.tmp")
endfunction()

# tensor names -> SF_TENSOR_* bits
function(sf_tensor_bits names out_var)
  string(REPLACE " " ";" names "${names}")
  set(bits "")
  foreach(n IN LISTS names)
    if(NOT n MATCHES "^(x|y|v|v_in|v_out|grad_y|grad_x)$")
      message(FATAL_ERROR "forms.csv: unknown tensor '${n}'")
    endif()
    string(TOUPPER "${n}" up)
    list(APPEND bits "SF_TENSOR_${up}")
  endforeach()
  list(JOIN bits " | " joined)
  set(${out_var} "${joined}" PARENT_SCOPE)
endfunction()

# A space-separated list of storage names from forms.csv, each one a table above defines (prefix_NAME
# suffix), as a CMake list.
function(sf_storage_names text prefix suffix what row out_var)
  string(REPLACE " " ";" names "${text}")
  foreach(n IN LISTS names)
    if(NOT DEFINED ${prefix}_${n}${suffix})
      message(FATAL_ERROR "forms.csv: '${row}': unknown ${what} '${n}'")
    endif()
  endforeach()
  set(${out_var} "${names}" PARENT_SCOPE)
endfunction()

set(_dtype_f32_bytes 4)
set(_dtype_bf16_bytes 2)
set(_dtype_f16_bytes 2)
set(_dtype_f32_enum SF_STORAGE_F32)
set(_dtype_bf16_enum SF_STORAGE_BF16)
set(_dtype_f16_enum SF_STORAGE_F16)
# spike storage: bits a spike takes
set(_spikes_f32_bits 32)
set(_spikes_u8_bits 8)
set(_spikes_b1_bits 1)

# ---- forms -------------------------------------------------------------------------------------
sf_csv_rows("${SF_KERNELS_DIR}/forms.csv" _form_rows)
set(_forms "")
foreach(row IN LISTS _form_rows)
  string(REPLACE "," ";" f "${row}")
  list(LENGTH f n)
  if(NOT n EQUAL 14)
    message(FATAL_ERROR "forms.csv: expected 14 fields in '${row}'")
  endif()
  list(GET f 0 fam)
  list(GET f 1 dir)
  list(GET f 2 form)
  set(key "${fam}_${dir}_${form}")
  list(APPEND _forms "${key}")
  list(GET f 3 _form_${key}_template)
  list(GET f 4 _in)
  list(GET f 5 _out)
  sf_tensor_bits("${_in}" _form_${key}_in)
  sf_tensor_bits("${_out}" _form_${key}_out)
  list(GET f 6 _form_${key}_reads)
  list(GET f 7 _form_${key}_writes)
  list(GET f 8 _form_${key}_launches)
  list(GET f 9 _form_${key}_workspace)
  list(GET f 10 _dtypes)
  sf_storage_names("${_dtypes}" _dtype "_bytes" "dtype" "${row}" _form_${key}_dtypes)
  list(GET f 11 _spikes)
  sf_storage_names("${_spikes}" _spikes "_bits" "spike storage" "${row}" _form_${key}_spikes)
  list(GET f 12 _form_${key}_chunked)
  list(GET f 13 _form_${key}_stages)
  if(NOT _form_${key}_stages MATCHES "^(0|1|chunks)$")
    message(FATAL_ERROR "forms.csv: '${row}': stages must be 0, 1 or chunks")
  endif()
  set(_form_${key}_in_names "${_in}")
  if(NOT _form_${key}_chunked MATCHES "^(0|1)$")
    message(FATAL_ERROR "forms.csv: '${row}': chunked must be 0 or 1")
  endif()
  if(NOT EXISTS "${SF_KERNELS_DIR}/${_form_${key}_template}")
    message(FATAL_ERROR "forms.csv: template ${_form_${key}_template} not found")
  endif()
endforeach()

# ---- variants ----------------------------------------------------------------------------------
sf_csv_rows("${SF_KERNELS_DIR}/variants.csv" _variant_rows)
set(SF_GEN_FAMILIES "")
set(_units "")
set(_per_unit 8)
set(_names "")
set(_entries "")
set(_protos "")
foreach(row IN LISTS _variant_rows)
  string(REPLACE "," ";" f "${row}")
  list(LENGTH f n)
  if(NOT n EQUAL 13)
    message(FATAL_ERROR "variants.csv: expected 13 fields in '${row}'")
  endif()
  list(GET f 0 fam)
  list(GET f 1 dir)
  list(GET f 2 form)
  list(GET f 3 dtype)
  list(GET f 4 spikes)
  list(GET f 5 vec)
  list(GET f 6 npt)
  list(GET f 7 unroll)
  list(GET f 8 chunk)
  list(GET f 9 prefetch)
  list(GET f 10 stage)
  list(GET f 11 block)
  list(GET f 12 defaults)
  set(key "${fam}_${dir}_${form}")
  # default: one row per form and backend
  set(default_bits "0")
  string(REPLACE " " ";" defaults "${defaults}")
  foreach(b IN LISTS defaults)
    if(b STREQUAL "-")
      continue()
    elseif(NOT b MATCHES "^(cpu|cuda)$")
      message(FATAL_ERROR "variants.csv: '${row}': default must name cpu and/or cuda, or be -")
    endif()
    if(DEFINED _default_${key}_${b})
      message(FATAL_ERROR "variants.csv: '${row}': a second ${b} default for ${fam},${dir},${form}")
    endif()
    set(_default_${key}_${b} 1)
    string(TOUPPER "${b}" B)
    string(APPEND default_bits " | SF_DEFAULT_ON_${B}")
  endforeach()
  if(NOT key IN_LIST _forms)
    message(FATAL_ERROR "variants.csv: '${row}': no row ${fam},${dir},${form} in forms.csv")
  endif()
  if(NOT dtype IN_LIST _form_${key}_dtypes)
    message(FATAL_ERROR "variants.csv: '${row}': the template of ${fam},${dir},${form} stores its tensors as ${_form_${key}_dtypes}, not '${dtype}'")
  endif()
  if(NOT spikes IN_LIST _form_${key}_spikes)
    message(FATAL_ERROR "variants.csv: '${row}': the template of ${fam},${dir},${form} stores spikes as ${_form_${key}_spikes}, not '${spikes}'")
  endif()
  if(NOT vec MATCHES "^(1|2|4|8|16)$")
    message(FATAL_ERROR "variants.csv: '${row}': vec must be 1, 2, 4, 8 or 16")
  endif()
  if(NOT npt MATCHES "^[1-9][0-9]*$" OR NOT unroll MATCHES "^[1-9][0-9]*$" OR NOT block MATCHES "^[0-9]+$")
    message(FATAL_ERROR "variants.csv: '${row}': npt and unroll must be >= 1, block >= 0")
  endif()
  if(NOT chunk MATCHES "^[0-9]+$")
    message(FATAL_ERROR "variants.csv: '${row}': chunk must be a number")
  endif()
  if(_form_${key}_chunked)
    math(EXPR _regs "${vec} * ${chunk}")
    if(chunk LESS 2 OR chunk GREATER 64 OR _regs GREATER 256)
      message(FATAL_ERROR "variants.csv: '${row}': ${fam},${dir},${form} keeps checkpoints: chunk must be 2..64 with vec x chunk <= 256 (the chunk's v is held in registers)")
    endif()
  elseif(NOT chunk EQUAL 0)
    message(FATAL_ERROR "variants.csv: '${row}': chunk applies only to forms that keep checkpoints (forms.csv: chunked); 0 here")
  endif()
  if(NOT prefetch MATCHES "^[0-9]+$" OR prefetch GREATER 8)
    message(FATAL_ERROR "variants.csv: '${row}': prefetch must be 0..8")
  endif()
  if(NOT _form_${key}_launches EQUAL 0 AND NOT prefetch EQUAL 0)
    message(FATAL_ERROR "variants.csv: '${row}': prefetch applies only to fused kernels (the host runs the loop elsewhere)")
  endif()
  if(NOT stage MATCHES "^[0-9]+$" OR stage GREATER 64)
    message(FATAL_ERROR "variants.csv: '${row}': stage must be 0..64")
  endif()
  if(NOT stage EQUAL 0)
    # static shared memory: two tiles of stage rows of the largest block's neurons, of every [T,M] input
    # the form reads, within 48 KiB
    set(_bits 0)
    string(REPLACE " " ";" _ins "${_form_${key}_in_names}")
    foreach(_t IN LISTS _ins)
      if(_t STREQUAL "y")
        math(EXPR _bits "${_bits} + ${_spikes_${spikes}_bits}")
      elseif(_t MATCHES "^(x|grad_y)$" OR (_t STREQUAL "v" AND NOT _form_${key}_chunked)) # checkpoints: loaded
        math(EXPR _bits "${_bits} + 8 * ${_dtype_${dtype}_bytes}")
      endif()
    endforeach()
    math(EXPR _shared "2 * ${stage} * ${block} * ${vec} * ${npt} * ${_bits} / 8 + 2 * 8") # and the barriers
    if(NOT _form_${key}_stages OR NOT prefetch EQUAL 0)
      message(FATAL_ERROR "variants.csv: '${row}': stage applies only to the forms whose template stages (forms.csv: stages), without prefetch")
    elseif(_form_${key}_stages STREQUAL "chunks" AND NOT stage EQUAL chunk)
      message(FATAL_ERROR "variants.csv: '${row}': this form stages a chunk a tile (forms.csv: stages chunks): stage must equal chunk")
    elseif(block EQUAL 0 OR _shared GREATER 49152)
      message(FATAL_ERROR "variants.csv: '${row}': a staging kernel needs a block (its largest), and two tiles of stage rows of its inputs within 48 KiB of shared memory (${_shared} bytes)")
    endif()
  endif()
  if(NOT _form_${key}_launches EQUAL 0 AND NOT unroll EQUAL 1)
    message(FATAL_ERROR "variants.csv: '${row}': unroll applies only to fused kernels (the host runs the time loop)")
  endif()
  set(stored "${dtype}")
  if(NOT spikes STREQUAL "f32")
    string(APPEND stored "_y${spikes}")
  endif()
  set(name "${key}_${stored}_v${vec}_n${npt}_u${unroll}")
  if(NOT prefetch EQUAL 0)
    string(APPEND name "_p${prefetch}")
  endif()
  if(NOT stage EQUAL 0)
    string(APPEND name "_s${stage}")
  endif()
  if(NOT chunk EQUAL 0)
    string(APPEND name "_c${chunk}")
  endif()
  if(NOT block EQUAL 0)
    string(APPEND name "_b${block}")
  endif()
  if(name IN_LIST _names)
    message(FATAL_ERROR "variants.csv: '${row}' repeats ${name}")
  endif()
  list(APPEND _names "${name}")
  if(NOT fam IN_LIST SF_GEN_FAMILIES)
    list(APPEND SF_GEN_FAMILIES "${fam}")
  endif()
  # A source file holds at most _per_unit rows of one form: the units compile in parallel (one file of a
  # hundred kernels took four minutes alone under the sanitizers), and adding a row recompiles few.
  if(NOT DEFINED _rows_${key})
    set(_rows_${key} 0)
  endif()
  math(EXPR _unit_index "${_rows_${key}} / ${_per_unit}")
  math(EXPR _rows_${key} "${_rows_${key}} + 1")
  set(unit "${key}_${_unit_index}")
  if(NOT unit IN_LIST _units)
    list(APPEND _units "${unit}")
    set(_unit_${unit}_body "")
  endif()
  string(TOUPPER "${form}" FORM)
  string(APPEND _unit_${unit}_body
"
/* ${row} */
#define SF_NAME ${name}
#define SF_DTYPE ${dtype}
#define SF_SPIKES ${spikes}
#define SF_VEC ${vec}
#define SF_NPT ${npt}
#define SF_UNROLL_N ${unroll}
#define SF_CHUNK ${chunk}
#define SF_PREFETCH ${prefetch}
#define SF_STAGE ${stage}
#define SF_BLOCK ${block}
#define SF_FORM SF_FORM_${FORM}
#include \"${_form_${key}_template}\"
#undef SF_NAME
#undef SF_DTYPE
#undef SF_SPIKES
#undef SF_VEC
#undef SF_NPT
#undef SF_UNROLL_N
#undef SF_CHUNK
#undef SF_PREFETCH
#undef SF_STAGE
#undef SF_BLOCK
#undef SF_FORM
")
  if(dir STREQUAL "fwd")
    set(direction SF_FWD)
  else()
    set(direction SF_BWD)
  endif()
  string(APPEND _protos "SF_DECLARE(${name})\n")
  string(APPEND _entries
"    {{\"${name}\", \"${fam}\", ${direction}, \"${form}\", \"${dtype}\", ${_dtype_${dtype}_enum}, ${_dtype_${dtype}_bytes}, \"${spikes}\", ${_spikes_${spikes}_bits},
      ${vec}, ${npt}, ${unroll}, ${chunk}, ${prefetch}, ${stage}, ${block},
      ${_form_${key}_launches}, ${_form_${key}_reads}, ${_form_${key}_writes}, ${_form_${key}_workspace},
      ${_form_${key}_in}, ${_form_${key}_out}, ${default_bits}},
     SF_ENTRY_FNS(${name})},
")
endforeach()

foreach(key IN LISTS _forms)
  foreach(b cpu cuda)
    if(NOT DEFINED _default_${key}_${b})
      message(FATAL_ERROR "variants.csv: no ${b} default for ${key}")
    endif()
  endforeach()
endforeach()

set(_banner "/* Generated by kernels/generate.cmake from kernels/variants.csv and kernels/forms.csv. Do not edit. */\n")
set(SF_GEN_CUDA_SOURCES "")
set(SF_GEN_CPU_SOURCES "")
foreach(unit IN LISTS _units)
  sf_write_if_changed("${SF_GEN_DIR}/kernels_${unit}.cu" "${_banner}#include \"prelude.h\"\n${_unit_${unit}_body}")
  sf_write_if_changed("${SF_GEN_DIR}/kernels_${unit}_cpu.c"
    "${_banner}/* The same kernel source as kernels_${unit}.cu, compiled as C11 through the host shim. */\n#include \"kernels_${unit}.cu\"\n")
  list(APPEND SF_GEN_CUDA_SOURCES "${SF_GEN_DIR}/kernels_${unit}.cu")
  list(APPEND SF_GEN_CPU_SOURCES "${SF_GEN_DIR}/kernels_${unit}_cpu.c")
endforeach()
# units of an earlier table that this one no longer has (ci/ptx-dump.sh reads every kernels_*.cu)
file(GLOB _generated "${SF_GEN_DIR}/kernels_*.cu" "${SF_GEN_DIR}/kernels_*_cpu.c")
foreach(f IN LISTS _generated)
  if(NOT f IN_LIST SF_GEN_CUDA_SOURCES AND NOT f IN_LIST SF_GEN_CPU_SOURCES)
    file(REMOVE "${f}")
  endif()
endforeach()

list(LENGTH _names _count)
sf_write_if_changed("${SF_GEN_DIR}/registry.c" "${_banner}#include \"registry_internal.h\"

${_protos}
const sf_kernel_entry sf_registry[] = {
${_entries}};

const int sf_registry_count = ${_count};
")
set(SF_GEN_REGISTRY "${SF_GEN_DIR}/registry.c")
