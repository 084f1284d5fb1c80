/* Closes one instantiation of a family template (see template_begin.h). */
#undef SF_SYM
#undef SF_T
#undef SF_LOAD
#undef SF_STORE
#undef SF_ELEM_BYTES
#undef SF_S
#undef SF_LOAD_Y
#undef SF_STORE_Y
#undef SF_Y_BLOCK_MULTIPLE
#undef SF_Y_WARP_WIDE
#undef SF_Y_BITS
#undef SF_PLAN_FN
#undef SF_RUN_FN
#undef SF_OCCUPANCY_FN
#undef SF_MAX_BLOCK_FN
#undef SF_DEFINE_LAUNCH_QUERIES
/* the parts of a temporal template (temporal.h) */
#undef SF_PARAMS
#undef SF_REGISTERS
#undef SF_INIT
#undef SF_STEP
#undef SF_FINISH
#undef SF_TIME_LOOP
#undef SF_WARP_WIDE
