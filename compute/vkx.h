// vkx.h declares the small C shim over the system Vulkan headers that fills the gaps of vulkan-go (frozen at
// Vulkan 1.1.88): loader discovery by dlopen, feature/property queries through the *2 entry points, device creation
// with a pNext feature chain, and a VK_EXT_debug_utils messenger.
#ifndef ERN_VKX_H
#define ERN_VKX_H
#include <stdint.h>
#include <vulkan/vulkan.h>

typedef struct {
	uint32_t shaderFloat16, shaderInt8, shaderInt16, shaderInt64, shaderBufferInt64Atomics;
	uint32_t storageBuffer16BitAccess, storageBuffer8BitAccess;
	uint32_t subgroupSizeControl, computeFullSubgroups, maintenance4, hostQueryReset;
	uint32_t vulkanMemoryModel;
	uint32_t hasCoopMatrixExt, hasSwapchainExt;
	uint32_t subgroupSize, subgroupOps, subgroupStages;
	uint32_t apiVersion;
	char driverName[256];
	char driverInfo[256];
} ErnCaps;

typedef struct {
	uint32_t float16, int8, storage16, storage8;
	uint32_t subgroupSizeControl, maintenance4, hostQueryReset;
} ErnEnable;

int ernLoadLoader(const char* path, char* errbuf, int errlen);
void ernUseProcAddr(void* gipa);
void* ernProcAddr(void);
void ernQueryCaps(VkInstance inst, VkPhysicalDevice pd, ErnCaps* caps);
VkResult ernCreateDevice(VkInstance inst, VkPhysicalDevice pd, uint32_t family, const ErnEnable* en,
	const char** exts, uint32_t nexts, VkDevice* out);
VkResult ernCreateMessenger(VkInstance inst, uintptr_t tag, VkDebugUtilsMessengerEXT* out);
void ernDestroyMessenger(VkInstance inst, VkDebugUtilsMessengerEXT m);
#endif
