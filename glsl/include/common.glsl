// common.glsl: indexing shared by every kernel.
#ifndef ERN_COMMON_GLSL
#define ERN_COMMON_GLSL

// ern_gid is the linear invocation index along x. The recorder splits more than 65535 workgroups along x into
// slices along z, so index = global x + workgroup z · (groups along x · workgroup width).
uint ern_gid() {
	return gl_GlobalInvocationID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
}

#endif
