// vkcmd.h: the Vulkan calls ern makes per command, per dispatch and per submission, made from C with the structs
// built on the C stack. vulkan-go converts a Go slice of structs to C memory whose free is tied to a finalizer on a
// local that is dead as soon as the conversion returns, so a garbage collection during the call can free what
// the driver is reading (seen as a garbage VkSubmitInfo sType under the validation layer, and a std::bad_alloc
// inside vkCreateComputePipelines). These calls take only handles and plain numbers.
#ifndef ERN_VKCMD_H
#define ERN_VKCMD_H
#include <stdint.h>
#include <vulkan/vulkan.h>

typedef struct ErnDeviceFns ErnDeviceFns;

ErnDeviceFns* ernLoadDeviceFns(VkInstance inst, VkDevice dev);
void ernFreeDeviceFns(ErnDeviceFns* f);
void ernCmdMemoryBarrier(ErnDeviceFns* f, VkCommandBuffer cb, VkPipelineStageFlags src, VkPipelineStageFlags dst,
	VkAccessFlags srcAccess, VkAccessFlags dstAccess);
void ernCmdCopyBuffer(ErnDeviceFns* f, VkCommandBuffer cb, VkBuffer src, VkDeviceSize srcOff, VkBuffer dst,
	VkDeviceSize dstOff, VkDeviceSize size);
VkResult ernAllocateDescriptorSet(ErnDeviceFns* f, VkDevice dev, VkDescriptorPool pool, VkDescriptorSetLayout layout,
	VkDescriptorSet* out);
void ernWriteStorageBuffers(ErnDeviceFns* f, VkDevice dev, VkDescriptorSet set, uint32_t n, const VkBuffer* bufs,
	const VkDeviceSize* offsets, const VkDeviceSize* ranges);
void ernCmdBindDescriptorSet(ErnDeviceFns* f, VkCommandBuffer cb, VkPipelineLayout layout, VkDescriptorSet set);
VkResult ernQueueSubmit(ErnDeviceFns* f, VkQueue q, VkCommandBuffer cb, VkFence fence);
VkResult ernCreateComputePipeline(ErnDeviceFns* f, VkDevice dev, VkPipelineCache cache, VkShaderModule module,
	VkPipelineLayout layout, uint32_t nspec, const uint32_t* specIDs, const uint32_t* specValues, VkPipeline* out);
VkResult ernCreateStorageSetLayout(ErnDeviceFns* f, VkDevice dev, uint32_t n, VkDescriptorSetLayout* out);
VkResult ernCreatePipelineLayout(ErnDeviceFns* f, VkDevice dev, VkDescriptorSetLayout dsl, uint32_t pushLen,
	VkPipelineLayout* out);
VkResult ernCreateStoragePool(ErnDeviceFns* f, VkDevice dev, uint32_t maxSets, uint32_t descriptors,
	VkDescriptorPool* out);
// presentation (the player's window): image layout barriers, buffer → image copies, clears, blits, a submission
// that waits on and signals semaphores, and the present.
typedef struct ErnPresentFns ErnPresentFns;
ErnPresentFns* ernLoadPresentFns(VkInstance inst, VkDevice dev);
void ernFreePresentFns(ErnPresentFns* f);
void ernCmdImageBarrier(ErnPresentFns* f, VkCommandBuffer cb, VkImage img, VkImageLayout from, VkImageLayout to,
	VkAccessFlags src, VkAccessFlags dst, VkPipelineStageFlags srcStage, VkPipelineStageFlags dstStage);
void ernCmdCopyBufferToImage(ErnPresentFns* f, VkCommandBuffer cb, VkBuffer buf, VkDeviceSize off, uint32_t rowLength,
	VkImage img, uint32_t w, uint32_t h);
void ernCmdClearColorImage(ErnPresentFns* f, VkCommandBuffer cb, VkImage img);
void ernCmdBlitImage(ErnPresentFns* f, VkCommandBuffer cb, VkImage src, int32_t sw, int32_t sh, VkImage dst, int32_t x0,
	int32_t y0, int32_t x1, int32_t y1, VkFilter filter);
VkResult ernQueueSubmitWaitSignal(ErnPresentFns* f, VkQueue q, VkCommandBuffer cb, VkSemaphore wait,
	VkPipelineStageFlags waitStage, VkSemaphore signal, VkFence fence);
VkResult ernQueuePresent(ErnPresentFns* f, VkQueue q, VkSemaphore wait, VkSwapchainKHR swap, uint32_t index);
#endif
