#include "uxl/config_file.h"

namespace uxl {

const Setting* ConfigFile::find(std::string_view name) const
{
    for (auto it = settings.rbegin(); it != settings.rend(); ++it)
        if (it->name == name)
            return &*it;
    return nullptr;
}

}  // namespace uxl
