// common.glsl: indexing shared by every kernel.
#ifndef ERN_COMMON_GLSL
#define ERN_COMMON_GLSL

// ern_gid() is the linear invocation index along x. The recorder splits more than 65535 workgroups along x into
// slices along z, so index = global x + workgroup z · (groups along x · workgroup width). It is a macro, not a
// function: this file is included before the shader's local_size layout, and glslang folds gl_WorkGroupSize in a
// function body defined there to (1, 1, 1), which made the index of every slice past the first wrong.
#define ern_gid() (gl_GlobalInvocationID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x * gl_WorkGroupSize.x)

#endif
